import Foundation

extension MachineProfile {
  /// Names of the GPU spec profiles shipped with the library (Sources/GSATheory/Profiles/NAME.json).
  public static let specNames = ["h100", "h200"]

  /// Directories searched, in order, for NAME.json: `$GSA_THEORY_PROFILES` when set, the resource
  /// bundle SwiftPM builds next to the executable (`gsa-theory_GSATheory.resources/Profiles`), and
  /// the source tree's Profiles directory (for a binary run where it was built).
  static func specDirectories() -> [String] {
    var directories = [String]()
    if let custom = ProcessInfo.processInfo.environment["GSA_THEORY_PROFILES"], !custom.isEmpty { directories.append(custom) }
    if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
      directories.append(executable.deletingLastPathComponent().appendingPathComponent("gsa-theory_GSATheory.resources/Profiles").path)
    }
    directories.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Profiles").path)
    return directories
  }

  /// The shipped spec profile `name` (one of `specNames`), read from its data file and validated.
  public static func spec(named name: String) throws(ProfileError) -> MachineProfile {
    guard specNames.contains(name) else {
      throw ProfileError(field: nil, "no shipped profile named '\(name)'; shipped: \(specNames.joined(separator: ", "))")
    }
    for directory in specDirectories() {
      let path = directory + "/" + name + ".json"
      if FileManager.default.fileExists(atPath: path) {
        do {
          return try load(path: path)
        } catch {
          throw ProfileError(field: error.field, "in \(path): \(error.message)")
        }
      }
    }
    throw ProfileError(
      field: nil,
      "the data file \(name).json was not found (looked in \(specDirectories().joined(separator: ", "))); set GSA_THEORY_PROFILES to its directory"
    )
  }
}
