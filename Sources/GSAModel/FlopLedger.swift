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

/// Something a ledger sums per bucket: FLOP counts or byte counts.
public protocol BucketSummable: Sendable, Hashable, Codable {
  init()
  static func + (a: Self, b: Self) -> Self
}

extension FlopCounts: BucketSummable {
  public init() { self.init(flops: 0) }
}

/// One value per `FlopBucket` (a keyed JSON object when encoded).
public struct PerBucket<Value: BucketSummable>: Sendable, Hashable, Codable {
  public var projections = Value()
  public var gates = Value()
  public var indexer = Value()
  public var selection = Value()
  public var attention = Value()

  public init() {}

  public subscript(bucket: FlopBucket) -> Value {
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
  public var total: Value { FlopBucket.allCases.reduce(Value()) { $0 + self[$1] } }

  public static func + (a: PerBucket, b: PerBucket) -> PerBucket {
    var sum = PerBucket()
    for bucket in FlopBucket.allCases { sum[bucket] = a[bucket] + b[bucket] }
    return sum
  }
}

/// Operation counts per bucket.
public typealias BucketCounts = PerBucket<FlopCounts>
/// Logical bytes per bucket.
public typealias BucketBytes = PerBucket<ByteCounts>

/// Logical memory traffic of one kind of work, in bytes.
///
/// A *pass* is one kernel call of the forward pass or decode step: one GEMM, one RoPE sweep, one
/// sigmoid sweep, one gate product, the indexer's scores, the top-k selection, a KV-cache append,
/// the attention core. Each pass reads every element of its operands once and writes every element
/// of its results once; these are logical bytes the algorithm touches, not cache misses: tiling
/// re-reads, layout copies (the cores' head-major packing), padding and scratch are not counted.
///
/// - `read`, `written`: the compulsory bytes (each distinct row of an operand once per pass).
/// - `gathered`: the K and V rows the sparse core gathers by index, each selected row once per
///   query and kv head, as the core reads it: Σ_t k_t · H_kv · d_h · 2 elements. In prefill the
///   core's compulsory read holds K and V once (L rows); at decode the gathered rows *are* its
///   compulsory read (one query per sequence: S_t has k_t distinct rows). Zero elsewhere.
///
/// Element sizes: float tensors (weights, activations, KV cache, scores) take the ledger's element
/// size (4 bytes for the float32 kernels; `CostModel` takes any, e.g. 2 for bf16); index lists are
/// 4-byte Int32; the adaptive rules' cached row statistics are 8-byte doubles.
public struct ByteCounts: Sendable, Hashable, Codable {
  public var read: Int
  public var written: Int
  public var gathered: Int

  public init(read: Int = 0, written: Int = 0, gathered: Int = 0) {
    self.read = read
    self.written = written
    self.gathered = gathered
  }

  /// read + written.
  public var compulsory: Int { read + written }

  public static func + (a: ByteCounts, b: ByteCounts) -> ByteCounts {
    ByteCounts(read: a.read + b.read, written: a.written + b.written, gathered: a.gathered + b.gathered)
  }

  public static func += (a: inout ByteCounts, b: ByteCounts) { a = a + b }

  /// `self` repeated n times.
  public func times(_ n: Int) -> ByteCounts { ByteCounts(read: read * n, written: written * n, gathered: gathered * n) }
}

extension ByteCounts: BucketSummable {
  public init() { self.init(read: 0) }
}

/// The ledger of a forward pass or decode step: operation counts, what was needed (`useful`:
/// causal pairs only, no tiling overhead) and what the kernels ran (`executed`: including masked
/// entries of tiles, padding rows/keys and online-softmax rescaling), per bucket; and the logical
/// bytes of every pass (`bytes`, see `ByteCounts`; one number, padding is never counted).
///
/// Kernels count what they execute, as they execute it (per tile, per row, per task); workers
/// accumulate private ledgers that are summed after the parallel section (integer sums, so the
/// total does not depend on scheduling).
public struct FlopLedger: Sendable, Hashable, Codable {
  public var useful = BucketCounts()
  public var executed = BucketCounts()
  public var bytes = BucketBytes()

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

  /// Adds logical bytes to a bucket.
  @inlinable public mutating func addBytes(_ bucket: FlopBucket, _ counts: ByteCounts) { bytes[bucket] += counts }

  public static func + (a: FlopLedger, b: FlopLedger) -> FlopLedger {
    var sum = FlopLedger()
    sum.useful = a.useful + b.useful
    sum.executed = a.executed + b.executed
    sum.bytes = a.bytes + b.bytes
    return sum
  }

  public static func += (a: inout FlopLedger, b: FlopLedger) { a = a + b }

  /// Totals over all buckets.
  public var usefulTotal: FlopCounts { useful.total }
  public var executedTotal: FlopCounts { executed.total }
  public var bytesTotal: ByteCounts { bytes.total }
}
