import CKernelSupport
import Dispatch

/// Wall seconds per `FlopBucket` of one forward pass or decode step.
///
/// Measured by `PhaseClock` laps around the passes (one monotonic clock read per pass, so the
/// overhead is nanoseconds against passes of microseconds and more); timing never touches the
/// ledger. Where one parallel section does two buckets' work (the prefill indexer scores a query
/// block, then selects its top-k, in the same task), the section's wall time is split in
/// proportion to the two kinds of work's summed busy time across the workers
/// (`SelectionSets.scoreSeconds`).
public typealias BucketSeconds = PerBucket<Double>

extension Double: BucketSummable {}

extension PerBucket where Value == Double {
  // `total`: the pass's wall time, up to the few untimed instructions between laps.

  /// The element-wise median of several passes' seconds (each bucket its own median, so the
  /// buckets' medians need not sum to the median total).
  public static func median(_ samples: [BucketSeconds]) -> BucketSeconds {
    var result = BucketSeconds()
    guard !samples.isEmpty else { return result }
    for bucket in FlopBucket.allCases {
      let sorted = samples.map { $0[bucket] }.sorted()
      let n = sorted.count
      result[bucket] = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }
    return result
  }

  /// The element-wise minimum of several passes' seconds (each bucket its best pass).
  public static func minimum(_ samples: [BucketSeconds]) -> BucketSeconds {
    var result = BucketSeconds()
    guard !samples.isEmpty else { return result }
    for bucket in FlopBucket.allCases { result[bucket] = samples.map { $0[bucket] }.min() ?? 0 }
    return result
  }
}

extension Int: BucketSummable {}

/// A lap clock: each `lap` charges the wall time since the previous lap (or the start) to a bucket,
/// and the parallel regions the calling thread opened since then (`parallelTasks`).
struct PhaseClock {
  private(set) var seconds = BucketSeconds()
  private(set) var regions = PerBucket<Int>()
  private var last: UInt64
  private var lastRegions: Int

  init() {
    last = DispatchTime.now().uptimeNanoseconds
    lastRegions = gsa_parallel_regions_opened()
  }

  private mutating func chargeRegions(_ bucket: FlopBucket) {
    let now = gsa_parallel_regions_opened()
    regions[bucket] += now - lastRegions
    lastRegions = now
  }

  /// Nanoseconds since the previous lap, without charging them.
  static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

  /// Charges the time since the previous lap to `bucket`.
  mutating func lap(_ bucket: FlopBucket) {
    let now = Self.now()
    seconds[bucket] += Double(now &- last) * 1e-9
    last = now
    chargeRegions(bucket)
  }

  /// Charges the time since the previous lap to two buckets: `firstSeconds` of it (at most all of
  /// it) to `first`, the rest to `second`.
  mutating func lap(_ first: FlopBucket, _ second: FlopBucket, firstSeconds: Double) {
    let now = Self.now()
    let elapsed = Double(now &- last) * 1e-9
    let part = firstSeconds.isFinite ? min(elapsed, max(0, firstSeconds)) : 0
    seconds[first] += part
    seconds[second] += elapsed - part
    last = now
    chargeRegions(first)
  }
}
