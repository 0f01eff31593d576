import Foundation
import GSAModel

/// Resident memory of this process and of the machine, from Linux's /proc (Linux only; other
/// systems report nil).
///
/// Peak memory of one measurement: `resetPeak()` (writes "5" to /proc/self/clear_refs, which resets
/// the kernel's high-water mark VmHWM to the current resident size), run, then `peakResidentBytes()`.
/// When the reset is not permitted, the peak is the process's lifetime peak (`peakIsPerMeasurement` false).
public enum ProcessMemory {
  /// Resets the resident high-water mark; returns whether the kernel accepted it. Free heap
  /// memory is returned to the system first (`MemoryPolicy.releaseFreeMemory`), so memory an
  /// earlier measurement freed but the allocator kept does not count toward the next peak.
  @discardableResult
  public static func resetPeak() -> Bool {
    MemoryPolicy.releaseFreeMemory()
    guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
    defer { try? handle.close() }
    do {
      try handle.write(contentsOf: Data("5".utf8))
      return true
    } catch {
      return false
    }
  }

  /// VmHWM: the peak resident set size since start or the last `resetPeak()`, in bytes.
  public static func peakResidentBytes() -> Int? { statusField("VmHWM:") }

  /// VmRSS: the current resident set size, in bytes.
  public static func residentBytes() -> Int? { statusField("VmRSS:") }

  /// MemAvailable from /proc/meminfo: what the kernel estimates can be allocated without swapping.
  public static func availableBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
    return kibibyteField("MemAvailable:", in: text)
  }

  static func statusField(_ name: String) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    return kibibyteField(name, in: text)
  }

  /// Parses "Name:   1234 kB" into bytes.
  static func kibibyteField(_ name: String, in text: String) -> Int? {
    for line in text.split(separator: "\n") where line.hasPrefix(name) {
      let parts = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard let value = parts.first.flatMap({ Int($0) }) else { return nil }
      return value * 1024
    }
    return nil
  }
}

/// Median of a non-empty sample (mean of the middle two for an even count); NaN when empty.
public func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  guard !sorted.isEmpty else { return .nan }
  let mid = sorted.count / 2
  return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
