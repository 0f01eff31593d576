import Foundation
import GSAModel

/// Predicted seconds of a forward pass or decode step, per bucket, from its counted work (a
/// `FlopLedger`: FLOPs, transcendentals, comparisons, bytes) at a `MachineProfile`'s rates.
///
/// **The rule.** Every parameter comes from the profile's micro-benchmarks (or, for a GPU, its
/// datasheet): FMA peak P, STREAM triad bandwidth W, the gather curve r(F), the top-k cost per
/// candidate τ, the sigmoid and exp rates R_σ and R_exp. Nothing is fitted to the layer timings
/// the model predicts; there is no efficiency factor. Where a kernel falls short of its rate the
/// prediction misses, and the miss is the finding.
///
/// For bucket b with executed FLOPs F_b, transcendentals T_b, comparisons C_b, compulsory bytes
/// M_b (read + written), gathered bytes G_b:
///
///     compute_b   = (F_b + C_b)/P + T_b/R_b            R_b = R_exp (attention), R_σ (other buckets)
///     compute_sel = F_sel/P + T_sel/R_σ + N·τ           N = top-k candidates (see below); C_sel not priced apart
///     memory_b    = (M_b − G_b^in)/W + G_b/r(F_g)       G_b^in = G_b at decode (the gathered rows are the
///                                                      core's compulsory read there), 0 in prefill
///     t_b         = max(compute_b, memory_b)
///     t           = Σ_b t_b
///
/// - Compute terms add: the sigmoid/exp polynomials, the top-k and the FMAs share the same vector
///   units, so they do not overlap. Compute and memory overlap (max), as in a roofline.
/// - N = Σ over the top-k calls that narrow (k < n) of their n candidates: prefill Σ_t n_t with
///   k_t^cap = min(k_cap, n_t) < n_t, decode B·(L + 1) when the cap is below L + 1; the adaptive
///   rules' second stage adds the c_t kept candidates of each row where k_t < c_t.
/// - Gather footprint F_g (the buffer the rows are drawn from): prefill 2·L·d_h·e, one kv group's
///   packed K and V (the sparse core works one group at a time); decode B·H_kv·2·L·d_h·e, the whole
///   cache's K and V (no row is read twice within a step; rows stay cached only between steps, if
///   the cache fits).
/// - All-cores rates (the kernels use every core), unless the model is built per thread.
///
/// A GPU spec profile gives P (bf16 or fp32 peak) and W (HBM); it has no gather curve, τ, R_σ or
/// R_exp. There, gathered bytes are served from HBM except a stated on-chip fraction φ, taken as
/// free (a lower bound on their time): G_b·(1 − φ)/W; the transcendental and top-k terms are not
/// priced and are reported as unpriced (see `GPUSpeedupModel` for the budget they are left).
///
/// Mathematical properties:
/// - Linear in the counts within a regime: doubling every count of a bucket doubles its t_b.
/// - t_b ≥ each of its terms; a bucket with no work takes 0 s.
/// - Monotone in the rates: a faster rate never gives a longer prediction.
public struct TimeModel: Sendable {
  /// Which phase the ledger belongs to (it decides G^in and the gather footprint).
  public enum Phase: String, Sendable, CaseIterable {
    case prefill, decode
  }

  /// The rates the model uses, resolved from a profile.
  public struct Rates: Sendable, Hashable {
    /// P, FLOP/s.
    public var flopsPerSecond: Double
    /// W, bytes/s (triad, or HBM).
    public var streamBytesPerSecond: Double
    /// r(F) points (footprint bytes, bytes/s), log-linear between them; empty: gathers at W·1/(1 − φ).
    public var gatherCurve: [MachineProfile.GatherPoint]
    public var scope: MachineProfile.Scope
    /// φ, the fraction of gathered bytes served on chip at no cost (spec profiles; 0 for measured ones).
    public var onChipFraction: Double
    /// τ, seconds per top-k candidate; nil when unpriced.
    public var topKSecondsPerCandidate: Double?
    /// R_σ, R_exp, evaluations/s; nil when unpriced.
    public var sigmoidsPerSecond: Double?
    public var expsPerSecond: Double?

    public init(
      flopsPerSecond: Double, streamBytesPerSecond: Double, gatherCurve: [MachineProfile.GatherPoint] = [],
      scope: MachineProfile.Scope = .allCores, onChipFraction: Double = 0, topKSecondsPerCandidate: Double? = nil,
      sigmoidsPerSecond: Double? = nil, expsPerSecond: Double? = nil
    ) {
      self.flopsPerSecond = flopsPerSecond
      self.streamBytesPerSecond = streamBytesPerSecond
      self.gatherCurve = gatherCurve
      self.scope = scope
      self.onChipFraction = onChipFraction
      self.topKSecondsPerCandidate = topKSecondsPerCandidate
      self.sigmoidsPerSecond = sigmoidsPerSecond
      self.expsPerSecond = expsPerSecond
    }

    /// Seconds to gather `bytes` from a buffer of `footprint` bytes.
    public func gatherSeconds(_ bytes: Double, footprint: Double) -> Double {
      guard bytes > 0 else { return 0 }
      if gatherCurve.isEmpty { return bytes * (1 - onChipFraction) / streamBytesPerSecond }
      let rate = MachineProfile.interpolateLogLinear(
        footprint, points: gatherCurve.map { (Double($0.footprintBytes), $0.bytesPerSecond[scope]) })
      return bytes / rate
    }
  }

  /// One bucket's prediction, with its terms.
  public struct BucketPrediction: Sendable, Hashable {
    /// FLOPs (and comparisons) at P.
    public var flopSeconds = 0.0
    /// Transcendentals at R_σ or R_exp.
    public var transcendentalSeconds = 0.0
    /// Top-k candidates at τ (selection only).
    public var topKSeconds = 0.0
    /// Compulsory (streamed) bytes at W.
    public var streamSeconds = 0.0
    /// Gathered bytes at r(F_g).
    public var gatherSeconds = 0.0
    public init() {}
    public var computeSeconds: Double { flopSeconds + transcendentalSeconds + topKSeconds }
    public var memorySeconds: Double { streamSeconds + gatherSeconds }
    /// t_b = max(compute, memory).
    public var seconds: Double { max(computeSeconds, memorySeconds) }
    /// "compute" or "memory": the larger side.
    public var limit: String { computeSeconds >= memorySeconds ? "compute" : "memory" }
  }

  /// A whole prediction.
  public struct Prediction: Sendable {
    public var buckets: [FlopBucket: BucketPrediction]
    /// Terms the profile has no rate for ("transcendentals", "top-k"), left out of the seconds.
    public var unpriced: [String]
    public var gatherFootprintBytes: Double
    public var topKCandidates: Int
    public var seconds: BucketSeconds {
      var s = BucketSeconds()
      for (bucket, p) in buckets { s[bucket] = p.seconds }
      return s
    }
    public var total: Double { seconds.total }
  }

  public let rates: Rates

  public init(rates: Rates) { self.rates = rates }

  /// The model for a profile: a measured profile at `scope` (fp32 peak, triad, gather curve, τ,
  /// R_σ, R_exp); a spec profile at `precision` with on-chip fraction φ ∈ [0, 1].
  public init(
    profile: MachineProfile, precision: MachineProfile.Precision = .fp32, scope: MachineProfile.Scope = .allCores,
    onChipFraction: Double = 0
  ) {
    switch profile.rates {
    case .measured(let m):
      rates = Rates(
        flopsPerSecond: m.fmaFlopsPerSecond[scope], streamBytesPerSecond: m.triadBytesPerSecond[scope], gatherCurve: m.gatherCurve,
        scope: scope, topKSecondsPerCandidate: m.topKSecondsPerCandidate[scope], sigmoidsPerSecond: m.sigmoidsPerSecond[scope],
        expsPerSecond: m.expsPerSecond[scope])
    case .spec(let s):
      rates = Rates(
        flopsPerSecond: precision == .bf16 ? s.peakDenseBF16FlopsPerSecond.value : s.peakFP32FlopsPerSecond.value,
        streamBytesPerSecond: s.hbmBytesPerSecond.value, onChipFraction: min(1, max(0, onChipFraction)))
    }
  }

  /// F_g: the gather footprint (see the type's documentation).
  public static func gatherFootprint(
    config c: LayerConfig, phase: Phase, length L: Int, batch B: Int = 1, elementBytes e: Int = 4
  ) -> Double {
    switch phase {
    case .prefill: return 2 * Double(L) * Double(c.headDim) * Double(e)
    case .decode: return Double(B) * Double(c.kvHeads) * 2 * Double(L) * Double(c.headDim) * Double(e)
    }
  }

  /// N: the top-k candidates of a pass (see the type's documentation); 0 for dense variants.
  /// `budgets` are the measured k_t (per query in prefill, per sequence at decode); without them the
  /// nominal min(k_base, n) (exact for the fixed rule; adaptive rules then skip the second stage).
  public static func topKCandidates(
    config c: LayerConfig, variant: Variant, phase: Phase, length L: Int, batch B: Int = 1, budgets: [Int]? = nil
  ) -> Int {
    guard variant.isSparse else { return 0 }
    let adaptive = c.kRule != .fixed
    let capBudget = adaptive ? c.kMax : c.kBase
    func row(_ n: Int, _ k: Int?) -> Int {
      let cap = min(capBudget, n)
      var total = cap < n ? n : 0
      if adaptive, let k, k < cap { total += cap }
      return total
    }
    switch phase {
    case .prefill:
      return (0..<L).reduce(0) { sum, t in sum + row(c.candidateCount(query: t, length: L), budgets?[t]) }
    case .decode:
      return (0..<B).reduce(0) { sum, b in sum + row(L + 1, budgets?[b]) }
    }
  }

  /// The prediction for `ledger` (its executed counts and bytes), with the top-k candidates N and
  /// the gather footprint F_g (`topKCandidates`, `gatherFootprint`).
  public func predict(_ ledger: FlopLedger, phase: Phase, topKCandidates N: Int, gatherFootprintBytes: Double) -> Prediction {
    var buckets = [FlopBucket: BucketPrediction]()
    var unpriced = Set<String>()
    for bucket in FlopBucket.allCases {
      let counts = ledger.executed[bucket], bytes = ledger.bytes[bucket]
      var p = BucketPrediction()
      let comparisons = bucket == .selection ? 0 : counts.comparisons
      p.flopSeconds = Double(counts.flops + comparisons) / rates.flopsPerSecond
      let rate = bucket == .attention ? rates.expsPerSecond : rates.sigmoidsPerSecond
      if counts.transcendentals > 0 {
        if let rate { p.transcendentalSeconds = Double(counts.transcendentals) / rate } else { unpriced.insert("transcendentals") }
      }
      if bucket == .selection, N > 0 {
        if let tau = rates.topKSecondsPerCandidate { p.topKSeconds = Double(N) * tau } else { unpriced.insert("top-k") }
      }
      let gatheredInRead = phase == .decode ? min(bytes.gathered, bytes.read) : 0
      p.streamSeconds = Double(bytes.compulsory - gatheredInRead) / rates.streamBytesPerSecond
      p.gatherSeconds = rates.gatherSeconds(Double(bytes.gathered), footprint: gatherFootprintBytes)
      buckets[bucket] = p
    }
    return Prediction(
      buckets: buckets, unpriced: unpriced.sorted(), gatherFootprintBytes: gatherFootprintBytes, topKCandidates: N)
  }

  /// The prediction of a forward pass (phase prefill) or decode step of `variant` under `config`:
  /// `CostModel`'s ledger at element size e, with the nominal or given budgets.
  public func predict(
    config: LayerConfig, variant: Variant, phase: Phase, length L: Int, batch B: Int = 1, elementBytes e: Int = 4,
    budgets: [Int]? = nil
  ) -> Prediction {
    let c = config.configured(for: variant)
    let cost = CostModel(config: c, variant: variant, elementBytes: e)
    let ledger: FlopLedger
    switch phase {
    case .prefill: ledger = cost.ledger(length: L, kPerQuery: variant.isSparse ? budgets : nil)
    case .decode: ledger = cost.decodeLedger(length: L, batch: B, kPerSequence: variant.isSparse ? budgets : nil)
    }
    return predict(
      ledger, phase: phase,
      topKCandidates: Self.topKCandidates(config: c, variant: variant, phase: phase, length: L, batch: B, budgets: budgets),
      gatherFootprintBytes: Self.gatherFootprint(config: c, phase: phase, length: L, batch: B, elementBytes: e))
  }
}

extension TimeModel {
  /// The prediction for a measured prefill sweep point (its counted ledger and measured k_t).
  public func predict(_ point: SweepPoint, config: LayerConfig) -> Prediction {
    let c = config.configured(for: point.variant)
    return predict(
      point.counted, phase: .prefill,
      topKCandidates: Self.topKCandidates(config: c, variant: point.variant, phase: .prefill, length: point.length),
      gatherFootprintBytes: Self.gatherFootprint(config: c, phase: .prefill, length: point.length))
  }

  /// The prediction for a measured decode point (its counted ledger and measured k_t).
  public func predict(_ point: DecodePoint, config: LayerConfig) -> Prediction {
    let c = config.configured(for: point.variant)
    return predict(
      point.counted, phase: .decode,
      topKCandidates: Self.topKCandidates(
        config: c, variant: point.variant, phase: .decode, length: point.length, batch: point.batch,
        budgets: point.kPerSequence),
      gatherFootprintBytes: Self.gatherFootprint(config: c, phase: .decode, length: point.length, batch: point.batch))
  }
}
