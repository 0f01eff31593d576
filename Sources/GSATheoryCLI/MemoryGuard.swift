import Foundation

/// Refuses, before any work starts, a run whose predicted peak memory exceeds what this
/// machine has available, naming the bytes it would need and the largest length that fits.
///
/// The available memory is `MemAvailable` from /proc/meminfo (the kernel's estimate of what
/// can be allocated without swapping), or the physical memory where /proc is missing. Test
/// hook: `GSA_THEORY_MEMORY_AVAILABLE=BYTES` (also `512m`, `2g`) replaces it, so tests and the
/// fuzz test can exercise the refusal deterministically.
///
/// Mathematical properties: `largestFitting` assumes the predicted peak is non-decreasing in
/// L (true of every cost model here: O(L·(D + k)) streaming buffers plus O(1) weights) and
/// returns the largest L with peak(L) ≤ budget, found by bisection.
public enum MemoryGuard {
  /// Share of the available memory a run may plan to use (the rest is headroom for the
  /// runtime, the output and other processes).
  public static let usableFraction = 0.9

  /// Bytes available to this process: the test hook, else MemAvailable, else physical memory.
  public static func availableBytes() -> UInt64 {
    if let raw = ProcessInfo.processInfo.environment["GSA_THEORY_MEMORY_AVAILABLE"], let bytes = parseBytes(raw) {
      return bytes
    }
    if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8), let bytes = memAvailable(fromMeminfo: meminfo) {
      return bytes
    }
    return ProcessInfo.processInfo.physicalMemory
  }

  /// The `MemAvailable:` line of a /proc/meminfo text, in bytes (the kernel reports kB).
  public static func memAvailable(fromMeminfo text: String) -> UInt64? {
    for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count >= 2, let kilobytes = UInt64(fields[1]) else { return nil }
      let unit = fields.count >= 3 ? fields[2].lowercased() : "kb"
      return unit == "kb" ? kilobytes.multipliedReportingOverflow(by: 1024).partialValue : kilobytes
    }
    return nil
  }

  /// "123", "512m", "2g", "64k" (powers of 1024) → bytes.
  public static func parseBytes(_ raw: String) -> UInt64? {
    let text = raw.trimmingCharacters(in: .whitespaces).lowercased()
    guard let last = text.last else { return nil }
    let multipliers: [Character: UInt64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
    if let multiplier = multipliers[last], let base = UInt64(text.dropLast()) {
      let (value, overflow) = base.multipliedReportingOverflow(by: multiplier)
      return overflow ? nil : value
    }
    return UInt64(text)
  }

  /// The largest L in 1...`upTo` with `peakBytes(L)` ≤ `budget`, or 0 if none.
  public static func largestFitting(upTo limit: Int, budget: Double, peakBytes: (Int) -> Double) -> Int {
    guard limit >= 1, peakBytes(1) <= budget else { return 0 }
    var low = 1
    var high = limit
    while low < high {
      let mid = low + (high - low + 1) / 2
      if peakBytes(mid) <= budget { low = mid } else { high = mid - 1 }
    }
    return low
  }

  /// Throws a one-line `UsageError` (exit 2) naming `flag` unless the longest of `lengths`
  /// fits in `usableFraction` of the available memory.
  ///
  /// - Parameters:
  ///   - lengths: the sequence lengths the run will use (its peak is at the longest).
  ///   - flag: the option that sets them, e.g. "--lengths".
  ///   - what: what runs, for the message ("sweep of gsa, dense").
  ///   - available: bytes available; `availableBytes()` by default.
  ///   - symbol: the size's name in the message ("L" for a length, "n" for element counts).
  ///   - peakBytes: the cost model's predicted peak resident bytes at length L.
  public static func check(
    lengths: [Int], flag: String, what: String, available: UInt64 = availableBytes(), symbol L: String = "L",
    peakBytes: (Int) -> Double
  ) throws(UsageError) {
    guard let longest = lengths.max() else { return }
    let needed = peakBytes(longest)
    let budget = Double(available) * usableFraction
    guard needed.isFinite else {
      throw UsageError("\(flag): \(L) = \(longest) needs more memory than can be represented; use a smaller value")
    }
    guard needed > budget else { return }
    let fits = largestFitting(upTo: longest, budget: budget, peakBytes: peakBytes)
    let advice =
      fits > 0
      ? "the largest \(L == "L" ? "length" : "size") that fits is \(L) = \(fits); use \(flag) values <= \(fits)"
      : "nothing fits; free memory first"
    throw UsageError(
      "\(flag): \(what) at \(L) = \(longest) needs \(describe(bytes: needed)) but only \(describe(bytes: budget)) "
        + "(\(Int(usableFraction * 100))% of \(describe(bytes: Double(available))) available) can be used; \(advice)")
  }

  /// "30064771072 bytes (28.0 GiB)".
  public static func describe(bytes: Double) -> String {
    let exact = bytes < 9e18 ? String(UInt64(max(0, bytes.rounded()))) : String(format: "%.3e", bytes)
    return "\(exact) bytes (\(String(format: "%.1f", bytes / 1_073_741_824)) GiB)"
  }
}
