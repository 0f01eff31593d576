import Foundation
import GSAModel

/// One fixture written by scripts/reference/make_fixtures.py from the reference implementation:
/// a layer's weights in the reference's names and torch layout, its configuration
/// (`__metadata__.config`, the `GSAConfig` as JSON), the input, the reference's output, its
/// selections S_t and k_t.
public struct ReferenceFixture: Sendable {
  public let file: SafetensorsFile
  public let config: ReferenceConfig
  public let layer: ReferenceLayer
  /// L.
  public let length: Int
  /// h, L × D, row-major.
  public let input: [Double]
  /// The reference's output u, L × D.
  public let output: [Double]
  /// The reference's S_t, ascending (its masked slots dropped).
  public let selection: Selection
  /// The reference's k_t (the keys each query attends to).
  public let kPerQuery: [Int]

  /// Opens the fixture at `path`.
  public init(path: String) throws(SafetensorsError) {
    file = try SafetensorsFile(path: path)
    guard let json = file.metadata["config"] else {
      throw SafetensorsError("\(path): __metadata__.config is missing; regenerate with scripts/reference/make_fixtures.py")
    }
    config = try ReferenceConfig(data: Data(json.utf8), source: "\(path) (__metadata__.config)")
    layer = try ReferenceLayer(file: file, prefix: "", config: config)
    let inputEntry = try file.entry("input")
    guard inputEntry.shape.count == 2, inputEntry.shape[1] == config.layer.modelDim else {
      throw SafetensorsError("\(path): tensor 'input' has shape \(inputEntry.shape), expected [L, \(config.layer.modelDim)]")
    }
    length = inputEntry.shape[0]
    input = try file.doubles("input")
    output = try file.doubles("output")
    (selection, kPerQuery) = try Self.selection(file, name: "selected", countName: "k_t")
  }

  /// The selections stored as `name` (rows of key indices, −1 for a masked slot) and `countName`.
  public static func selection(
    _ file: SafetensorsFile, name: String, countName: String
  ) throws(SafetensorsError) -> (Selection, [Int]) {
    let entry = try file.entry(name)
    guard entry.shape.count == 2 else {
      throw SafetensorsError("\(file.path): tensor '\(name)' has shape \(entry.shape), expected [L, k]")
    }
    let raw = try file.integers(name)
    let width = entry.shape[1]
    let sets = (0..<entry.shape[0]).map { t in raw[(t * width)..<((t + 1) * width)].filter { $0 >= 0 }.sorted() }
    return (Selection(sets: sets), try file.integers(countName))
  }

  /// The directory of the committed fixtures: `GSA_REFERENCE_FIXTURES` when set, else
  /// Tests/Fixtures/reference of the source tree this library was built from; nil when absent.
  public static var directory: String? {
    if let path = ProcessInfo.processInfo.environment["GSA_REFERENCE_FIXTURES"] { return path }
    let tree = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    let path = tree.appendingPathComponent("Tests/Fixtures/reference").path
    return FileManager.default.fileExists(atPath: path) ? path : nil
  }
}
