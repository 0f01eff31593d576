import Foundation
import GSATheory

/// `--machine this|h100|h200|FILE`: the machine profile a command works with, for any command
/// that adds `MachineOption.spec` to its options and calls `MachineOption.profile(_:progress:)`.
///
/// - `this` measures this machine with the quick probes (`MachineProfile.MeasurementSettings.quick`,
///   a few seconds);
/// - `h100`, `h200` load the shipped GPU spec profiles;
/// - anything else is a profile file (as `gsa-theory roofline --save FILE` writes).
/// An unknown name, a missing file or a file that fails validation is a usage error (exit 2)
/// naming the value and, for a bad file, the field.
enum MachineOption {
  /// The names `--machine` accepts besides a file path.
  static var names: [String] { ["this"] + MachineProfile.specNames }

  static let spec = OptionSpec(
    "--machine", value: "this|h100|h200|FILE",
    help: "Machine profile: this (measure now, quick probes), h100 or h200 (datasheet specs), or a profile file from 'roofline --save'.")

  /// The profile `--machine` names, or nil when the option is absent. `threads` sets the
  /// all-cores thread count of `this`.
  static func profile(_ options: ParsedOptions, threads: Int? = nil, progress: Progress) throws -> MachineProfile? {
    guard let raw = options.string("--machine") else { return nil }
    return try resolve(raw, threads: threads, progress: progress)
  }

  /// Resolves one `--machine` value (see the type's documentation).
  static func resolve(_ raw: String, threads: Int? = nil, progress: Progress) throws -> MachineProfile {
    let value = raw.trimmingCharacters(in: .whitespaces)
    if value == "this" {
      return try measureThis(
        .quick(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount), flag: "--machine", progress: progress)
    }
    if MachineProfile.specNames.contains(value) {
      do {
        return try MachineProfile.spec(named: value)
      } catch {
        // The shipped data file is missing or damaged: an installation problem, not a usage error.
        throw CommandFailure("--machine: \(value): \(error)")
      }
    }
    guard looksLikePath(value) else {
      throw UsageError(
        "--machine: unknown machine '\(raw)'\(suggestion(for: value, among: names)); use this, \(MachineProfile.specNames.joined(separator: ", ")) or a profile file path"
      )
    }
    do {
      return try MachineProfile.load(path: value)
    } catch {
      throw UsageError("--machine: profile '\(value)': \(error); fix the file or measure a new one with 'gsa-theory roofline --save FILE'")
    }
  }

  /// A value names a file when it exists or looks like a path (a '/' or a .json suffix).
  static func looksLikePath(_ value: String) -> Bool {
    value.contains("/") || value.lowercased().hasSuffix(".json") || FileManager.default.fileExists(atPath: value)
  }

  /// Measures this machine (`MachineInfo.current` as its description), reporting progress. A
  /// measurement whose largest buffers (`MeasurementSettings.peakBytes`) do not fit in the usable
  /// memory is refused first, as a usage error naming `flag`.
  static func measureThis(
    _ requested: MachineProfile.MeasurementSettings, flag: String, progress: Progress
  ) throws -> MachineProfile {
    let settings = TestHooks.smokeProfile ? .smoke(threads: requested.threads) : requested
    let available = Double(MemoryGuard.availableBytes()), budget = available * MemoryGuard.usableFraction
    if Double(settings.peakBytes) > budget {
      throw UsageError(
        "\(flag): the machine-profile measurement needs \(MemoryGuard.describe(bytes: Double(settings.peakBytes))) but only "
          + "\(MemoryGuard.describe(bytes: budget)) (\(Int(MemoryGuard.usableFraction * 100))% of "
          + "\(MemoryGuard.describe(bytes: available)) available) can be used; free memory first")
    }
    let info = MachineInfo.current
    let machine = MachineProfile.Machine(name: "this", model: info.cpuModel, cores: info.cores, memoryBytes: Int(info.memoryBytes))
    do {
      return try MachineProfile.measure(settings, machine: machine) { done, total, label in
        progress.update(done, of: total, label)
      }
    } catch {
      throw CommandFailure("machine profile: \(error)")
    }
  }
}

extension TestHooks {
  /// `GSA_THEORY_TEST_SMOKE_PROFILE=1`: every machine-profile measurement uses the tiny
  /// `MeasurementSettings.smoke` sizes (tests of `roofline --save` and `--machine this` in a debug build).
  static var smokeProfile: Bool { ProcessInfo.processInfo.environment["GSA_THEORY_TEST_SMOKE_PROFILE"] == "1" }
}
