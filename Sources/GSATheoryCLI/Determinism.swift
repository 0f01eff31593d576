import GSATheory

/// The determinism convention of every JSON report (docs/reliability.md).
///
/// The same command with the same `--seed` gives byte-identical JSON, except for fields that
/// describe the machine or a measurement of time (they differ between runs by nature). Those
/// fields must carry one of the documented names below, so that tools (and the determinism
/// test) can strip them; every other field must be reproducible.
///
/// Volatile keys:
/// - exactly `machine`, `roofline`, `timing`, `timestamp`, `hostname`, `seconds`, `elapsed`,
///   `wall_time`, `time` (e.g. a fit over measured times), `gflops`, `fraction_of_peak`,
///   `peak_rss_bytes`, `peak_memory_bytes` (a *measured* resident peak; predictions are named
///   `predicted_memory_bytes`), `seconds_by_bucket`, `fraction_of_triad`, `measurements` (a
///   claim's wall-clock numbers);
/// - or with a prefix `wall_time`, `measured_time`, `measured_from_time`, `time_`, `rss_`;
/// - or with a suffix `_seconds`, `_ms`, `_ns`, `_per_second`, `_gflops`, `_bandwidth`,
///   `_efficiency`, `_rss_bytes`.
/// FLOP counts (counted and predicted), verdicts, evidence and fitted coefficients of counted
/// quantities are not volatile.
public enum DeterminismConvention {
  public static let volatileExactKeys: Set<String> = [
    "machine", "roofline", "timing", "timestamp", "hostname", "seconds", "elapsed", "wall_time", "time", "gflops",
    "fraction_of_peak", "peak_rss_bytes", "peak_memory_bytes", "seconds_by_bucket", "fraction_of_triad", "measurements",
  ]
  public static let volatilePrefixes = ["wall_time", "measured_time", "measured_from_time", "time_", "rss_"]
  public static let volatileSuffixes = ["_seconds", "_ms", "_ns", "_per_second", "_gflops", "_bandwidth", "_efficiency", "_rss_bytes"]

  /// True when a JSON object key names a machine or timing field.
  public static func isVolatile(key: String) -> Bool {
    let key = key.lowercased()
    return volatileExactKeys.contains(key) || volatilePrefixes.contains { key.hasPrefix($0) }
      || volatileSuffixes.contains { key.hasSuffix($0) }
  }

  /// `value` without its volatile fields (recursively), for comparing two runs.
  public static func stripped(_ value: JSONValue) -> JSONValue {
    switch value {
    case .object(let members):
      return .object(members.filter { !isVolatile(key: $0.0) }.map { ($0.0, stripped($0.1)) })
    case .array(let items):
      return .array(items.map(stripped))
    default:
      return value
    }
  }
}
