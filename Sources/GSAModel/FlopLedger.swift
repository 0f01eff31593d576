/// Operation counts of one kind of work.
///
/// - `flops`: floating-point multiplies and adds/subtracts; a fused multiply-add counts 2.
/// - `transcendentals`: evaluations of exp, sigmoid, cos/sin, pow and divisions/reciprocals
///   (each counts 1, whatever its instruction cost).
/// - `comparisons`: comparisons and key tests (max tracking, ReLU, top-k selection passes, clamps).
public struct FlopCounts: Sendable, Hashable, Codable {
  public var flops: Int
  public var transcendentals: Int
  public var comparisons: Int

  public init(flops: Int = 0, transcendentals: Int = 0, comparisons: Int = 0) {
    self.flops = flops
    self.transcendentals = transcendentals
    self.comparisons = comparisons
  }

  public static let zero = FlopCounts()

  public static func + (a: FlopCounts, b: FlopCounts) -> FlopCounts {
    FlopCounts(
      flops: a.flops + b.flops, transcendentals: a.transcendentals + b.transcendentals,
      comparisons: a.comparisons + b.comparisons)
  }

  public static func += (a: inout FlopCounts, b: FlopCounts) { a = a + b }

  /// `self` repeated n times.
  public func times(_ n: Int) -> FlopCounts {
    FlopCounts(flops: flops * n, transcendentals: transcendentals * n, comparisons: comparisons * n)
  }
}

/// Counts per `FlopBucket` (a keyed JSON object when encoded).
public struct BucketCounts: Sendable, Hashable, Codable {
  public var projections = FlopCounts()
  public var gates = FlopCounts()
  public var indexer = FlopCounts()
  public var selection = FlopCounts()
  public var attention = FlopCounts()

  public init() {}

  public subscript(bucket: FlopBucket) -> FlopCounts {
    get {
      switch bucket {
      case .projections: projections
      case .gates: gates
      case .indexer: indexer
      case .selection: selection
      case .attention: attention
      }
    }
    set {
      switch bucket {
      case .projections: projections = newValue
      case .gates: gates = newValue
      case .indexer: indexer = newValue
      case .selection: selection = newValue
      case .attention: attention = newValue
      }
    }
  }

  /// Sum over all buckets.
  public var total: FlopCounts { FlopBucket.allCases.reduce(FlopCounts()) { $0 + self[$1] } }

  public static func + (a: BucketCounts, b: BucketCounts) -> BucketCounts {
    var sum = BucketCounts()
    for bucket in FlopBucket.allCases { sum[bucket] = a[bucket] + b[bucket] }
    return sum
  }
}

/// The FLOP ledger of a forward pass: what was needed (`useful`: causal pairs only, no tiling
/// overhead) and what the kernels ran (`executed`: including masked entries of tiles, padding
/// rows/keys and online-softmax rescaling), per bucket.
///
/// Kernels count what they execute, as they execute it (per tile, per row); workers accumulate
/// private ledgers that are summed after the parallel section (integer sums, so the total does not
/// depend on scheduling).
public struct FlopLedger: Sendable, Hashable, Codable {
  public var useful = BucketCounts()
  public var executed = BucketCounts()

  public init() {}

  /// Adds the same counts to both `useful` and `executed` (work with no tiling overhead).
  @inlinable public mutating func add(_ bucket: FlopBucket, _ counts: FlopCounts) {
    useful[bucket] += counts
    executed[bucket] += counts
  }

  @inlinable public mutating func addUseful(_ bucket: FlopBucket, _ counts: FlopCounts) { useful[bucket] += counts }
  @inlinable public mutating func addExecuted(_ bucket: FlopBucket, _ counts: FlopCounts) {
    executed[bucket] += counts
  }

  public static func + (a: FlopLedger, b: FlopLedger) -> FlopLedger {
    var sum = FlopLedger()
    sum.useful = a.useful + b.useful
    sum.executed = a.executed + b.executed
    return sum
  }

  public static func += (a: inout FlopLedger, b: FlopLedger) { a = a + b }

  /// Totals over all buckets.
  public var usefulTotal: FlopCounts { useful.total }
  public var executedTotal: FlopCounts { executed.total }
}
