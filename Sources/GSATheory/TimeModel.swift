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
///     compute_b   = (F_b + C_b)/P + T_b/R_b            R_b = R_exp (attention), R_rope (projections:
///                                                      the RoPE tables' cos, sin, pow), R_σ (others)
///     compute_sel = F_sel/P + T_sel/R_σ + C_sel·τ_c     τ_c = τ·n_p / r(n_p, k_p), seconds per counted comparison
///     memory_b    = (M_b − G_b^in)/W + G_b/r̄            G_b^in = G_b at decode (the gathered rows are the
///                                                      core's compulsory read there), 0 in prefill
///     1/r̄         = Σ_i w_i/r(F_i) / Σ_i w_i            the gathers' footprints F_i with weights w_i
///     t_b         = max(compute_b, memory_b)
///     t           = Σ_b t_b
///
/// - Compute terms add: the sigmoid/exp polynomials, the top-k and the FMAs share the same vector
///   units, so they do not overlap. Compute and memory overlap (max), as in a roofline.
/// - τ_c: the profile's top-k probe ran rows of n_p candidates with budget k_p at τ seconds per
///   candidate; the ledger counts r(n_p, k_p) comparisons for such a row (`CostModel`'s radix
///   top-k count, 6n + 3G + 7168), so one counted comparison costs τ·n_p/r(n_p, k_p). The
///   selection's counted comparisons, fixed per-row overhead included, are priced at τ_c.
/// - Gather footprints (the buffer a gathered row is drawn from): prefill, query t draws from its
///   causal prefix in one kv group's packed K and V (the sparse core works one group at a time),
///   F_t = 2·(t + 1)·d_h·e, weighted by k_t = min(k_base, t + 1) (in 256 chunks of t); decode, the
///   whole cache's K and V, F = B·H_kv·2·L·d_h·e (no row is read twice within a step; rows stay
///   cached only between steps, if the cache fits).
/// - All-cores rates (the kernels use every core), unless the model is built per thread.
///
/// **Kernel rates (prefill).** The work of the probed kernels (`kernelWork`) leaves those terms
/// and is priced at the kernel's own rate, on the compute side: GEMM FLOPs at R_gemm; the dense
/// flash core's executed FLOPs at R_tile and the indexer's pair FLOPs at R_idx (their exps, σ and
/// comparisons inside the rate); the sparse core's gathered rows at c_G(F), weighted over the
/// gather footprints as r̄ is (its gathered bytes and counts leave the other terms).
///
/// **Kernel rates (decode).** The dense decode core's rows at its row cost c_D(F) at the cache's
/// footprint F (`decode_row`: compute and streaming together, since the probe measured them
/// together; the rows' K and V bytes and the core's counts leave the other terms); the sparse
/// variants' gathered rows at c_G(F), as in prefill, at the same F; the GEMMs of the B new rows
/// (projections, gates, indexer projections) at max(W_b/R_gemv, F_b/R_gemm), R_gemv a one-row
/// GEMM's weight bytes per second (`gemv`), their weights leaving the streamed bytes. The indexer's
/// scoring keeps the primitive rates, its streamed bytes at W_read. On a measured profile a decode
/// bucket's sides add, t_b = compute_b + memory_b (`Rates.decodeSidesAdd`: the dense decode core's
/// and the indexer scoring's probes ran at about their in-cache time plus their bytes at the
/// stream rate). The selection runs on n_sel = `KernelWork.selectionTasks` threads: with n_sel
/// below the profile's threads, τ_c and W_read at their one-thread rates (P at P/threads), each
/// divided by n_sel. Each parallel region a decode bucket opens (`KernelWork.parallelRegions`,
/// `AttentionLayer.decodeParallelRegions` on the profile's threads) adds the profile's region
/// latency r_region (`parallel_region`): t_b += N_b·r_region. Prefill's regions are left out (a
/// few hundred per pass, against buckets of milliseconds). Without a kernel rate (a spec profile)
/// the kernel's work stays at the primitive rates.
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
    /// τ_c, seconds per counted top-k comparison; nil when unpriced.
    public var topKSecondsPerComparison: Double?
    /// R_σ, R_exp, evaluations/s; nil when unpriced.
    public var sigmoidsPerSecond: Double?
    public var expsPerSecond: Double?
    /// R_gemm, R_tile (dense flash core), R_idx (indexer score tile), FLOP/s; nil: priced at P.
    public var gemmFlopsPerSecond: Double?
    public var denseTileFlopsPerSecond: Double?
    public var indexerTileFlopsPerSecond: Double?
    /// The kernel row costs: the sparse core's c_G(F) (`MachineProfile.KernelRates.sparseSecondsPerRow`)
    /// and the dense decode core's c_D(F) (`decodeSecondsPerRow`); nil: their FLOPs at P, their
    /// gathers at r(F) and their streams at W_read.
    public var rowCosts: MachineProfile.KernelRates?
    /// W_read, the read-only streaming rate that prices a decode step's streamed bytes; nil: W.
    public var readBytesPerSecond: Double?
    /// R_gemv, a one-row GEMM's weight bytes per second (decode's projections); nil: its FLOPs at
    /// P and its weights at W_read.
    public var gemvWeightBytesPerSecond: Double?
    /// Threads behind the all-cores rates, and τ_c and W_read on one thread: a decode selection with
    /// fewer tasks than threads runs at these (nil: at the model's own).
    public var threads = 1
    public var perThreadTopKSecondsPerComparison: Double?
    public var perThreadReadBytesPerSecond: Double?
    /// Whether a decode bucket's compute and memory sides add (measured CPU profiles: the decode
    /// probes found a streaming kernel's arithmetic and its streaming adding, not overlapping) or
    /// overlap (the roofline's max; spec profiles).
    public var decodeSidesAdd = false
    /// r_region, seconds per parallel region a decode step opens (measured profiles); nil: unpriced.
    public var parallelRegionSeconds: Double?
    /// R_rope, the RoPE tables' libm transcendentals per second (the projections bucket's
    /// transcendentals); nil: at R_σ.
    public var ropeTranscendentalsPerSecond: Double?

    public init(
      flopsPerSecond: Double, streamBytesPerSecond: Double, gatherCurve: [MachineProfile.GatherPoint] = [],
      scope: MachineProfile.Scope = .allCores, onChipFraction: Double = 0, topKSecondsPerComparison: Double? = nil,
      sigmoidsPerSecond: Double? = nil, expsPerSecond: Double? = nil, gemmFlopsPerSecond: Double? = nil,
      denseTileFlopsPerSecond: Double? = nil, indexerTileFlopsPerSecond: Double? = nil,
      rowCosts: MachineProfile.KernelRates? = nil, readBytesPerSecond: Double? = nil, gemvWeightBytesPerSecond: Double? = nil
    ) {
      self.gemvWeightBytesPerSecond = gemvWeightBytesPerSecond
      self.gemmFlopsPerSecond = gemmFlopsPerSecond
      self.denseTileFlopsPerSecond = denseTileFlopsPerSecond
      self.indexerTileFlopsPerSecond = indexerTileFlopsPerSecond
      self.rowCosts = rowCosts
      self.readBytesPerSecond = readBytesPerSecond
      self.flopsPerSecond = flopsPerSecond
      self.streamBytesPerSecond = streamBytesPerSecond
      self.gatherCurve = gatherCurve
      self.scope = scope
      self.onChipFraction = onChipFraction
      self.topKSecondsPerComparison = topKSecondsPerComparison
      self.sigmoidsPerSecond = sigmoidsPerSecond
      self.expsPerSecond = expsPerSecond
    }

    /// Seconds to gather `bytes` drawn from buffers of the given footprints (bytes) in proportion
    /// to their weights: bytes · Σ w_i/r(F_i) / Σ w_i.
    public func gatherSeconds(_ bytes: Double, footprints: [Footprint]) -> Double {
      guard bytes > 0 else { return 0 }
      if gatherCurve.isEmpty { return bytes * (1 - onChipFraction) / streamBytesPerSecond }
      let points = gatherCurve.map { (Double($0.footprintBytes), $0.bytesPerSecond[scope]) }
      let weight = footprints.reduce(0) { $0 + $1.weight }
      guard weight > 0 else { return .nan }
      let inverse = footprints.reduce(0) { $0 + $1.weight / MachineProfile.interpolateLogLinear($1.bytes, points: points) }
      return bytes * inverse / weight
    }

    /// Seconds of `rows` sparse-core rows for group size G drawn from the given footprints:
    /// rows · Σ w_i c_G(F_i) / Σ w_i (nil without a row cost).
    public func sparseRowSeconds(_ rows: Double, groupSize G: Int, footprints: [Footprint]) -> Double? {
      guard let rowCosts else { return nil }
      guard rows > 0 else { return 0 }
      let weight = footprints.reduce(0) { $0 + $1.weight }
      guard weight > 0 else { return .nan }
      let cost = footprints.reduce(0) {
        $0 + $1.weight * rowCosts.sparseSecondsPerRow(groupSize: G, footprintBytes: $1.bytes, scope: scope)
      }
      return rows * cost / weight
    }

    /// Seconds of `rows` dense decode core rows of head dimension d when the cache spans
    /// `footprintBytes`: rows · c_D(F) (nil without a decode row cost).
    public func decodeRowSeconds(_ rows: Double, headDim d: Int, footprintBytes F: Double) -> Double? {
      guard let rowCosts, !rowCosts.decodeRowCurve.isEmpty else { return nil }
      guard rows > 0 else { return 0 }
      return rows * rowCosts.decodeSecondsPerRow(headDim: d, footprintBytes: F, scope: scope)
    }

    /// These rates without the kernel rates: every FLOP at P, gathers at r(F), streams at W (the
    /// model before the profile had kernel probes; a GPU spec profile's rates).
    public var primitivesOnly: Rates {
      var r = self
      r.gemmFlopsPerSecond = nil
      r.denseTileFlopsPerSecond = nil
      r.indexerTileFlopsPerSecond = nil
      r.rowCosts = nil
      r.readBytesPerSecond = nil
      r.gemvWeightBytesPerSecond = nil
      r.ropeTranscendentalsPerSecond = nil
      return r
    }
  }

  /// The counted work of a pass that runs in a kernel with its own measured rate, per bucket
  /// (`kernelWork(config:variant:phase:length:ledger:)`): GEMM FLOPs; the dense flash core's and
  /// the indexer score tile's executed counts; the sparse core's gathered rows, its counts and its
  /// group size G = H/H_kv. Everything else in the ledger is priced at the primitive rates.
  public struct KernelWork: Sendable, Hashable {
    public var gemmFlops: [FlopBucket: Int] = [:]
    /// Dense core (attention) and indexer score tile (indexer) executed counts.
    public var tileCounts: [FlopBucket: FlopCounts] = [:]
    /// Gathered (query, kv group) rows of the sparse core, its counts, and G.
    public var sparseRows = 0.0
    public var sparseCounts = FlopCounts()
    public var groupSize = 1
    /// Cached rows the dense decode core streams (B·H_kv·(L + 1)), its counts, the K and V bytes
    /// it reads, and d_h.
    public var decodeRows = 0.0
    public var decodeCounts = FlopCounts()
    public var decodeBytes = 0
    public var headDim = 1
    /// Decode's GEMMs of B rows: their weight bytes and FLOPs per bucket.
    public var gemvWeightBytes: [FlopBucket: Int] = [:]
    public var gemvFlops: [FlopBucket: Int] = [:]
    /// Decode's selection: the parallel tasks of its candidate pass (B, or B·(⌈n/s⌉ + 1) when
    /// `DecodeSelectionSplit` splits; nil outside a sparse decode step).
    public var selectionTasks: Int?
    /// Decode's parallel regions per bucket (`AttentionLayer.decodeParallelRegions` on the rates'
    /// threads).
    public var parallelRegions = PerBucket<Int>()
    public init() {}
  }

  /// A gather footprint and its share of the gathered rows.
  public struct Footprint: Sendable, Hashable {
    public var bytes: Double
    public var weight: Double
    public init(bytes: Double, weight: Double = 1) {
      self.bytes = bytes
      self.weight = weight
    }
  }

  /// One bucket's prediction, with its terms.
  public struct BucketPrediction: Sendable, Hashable {
    /// FLOPs (and comparisons) at P.
    public var flopSeconds = 0.0
    /// Transcendentals at R_σ or R_exp.
    public var transcendentalSeconds = 0.0
    /// Counted top-k comparisons at τ_c (selection only).
    public var topKSeconds = 0.0
    /// Kernel work at the kernels' own rates: GEMM FLOPs at R_gemm, tile FLOPs at R_tile or R_idx,
    /// sparse-core rows at c_G(F).
    public var kernelSeconds = 0.0
    /// Compulsory (streamed) bytes at W.
    public var streamSeconds = 0.0
    /// Gathered bytes at r(F_g).
    public var gatherSeconds = 0.0
    /// Whether the compute and memory sides add instead of overlapping (`Rates.decodeSidesAdd`).
    public var sidesAdd = false
    /// Parallel regions at r_region (decode).
    public var regionSeconds = 0.0
    public init() {}
    public var computeSeconds: Double { Self.computeTerms.reduce(0) { $0 + seconds($1) } }
    public var memorySeconds: Double { Self.memoryTerms.reduce(0) { $0 + seconds($1) } }
    /// t_b = max(compute, memory), or their sum when `sidesAdd`, plus the regions' latency.
    public var seconds: Double {
      (sidesAdd ? computeSeconds + memorySeconds : max(computeSeconds, memorySeconds)) + regionSeconds
    }
    /// "compute" or "memory": the larger side.
    public var limit: String { computeSeconds >= memorySeconds ? "compute" : "memory" }

    /// The terms of a bucket's prediction.
    public enum Term: String, Sendable, CaseIterable {
      case kernel, flops, transcendentals, topK, stream, gather, regions
    }
    /// The compute side's terms and the memory side's (the regions' latency is neither).
    public static let computeTerms: [Term] = [.flops, .transcendentals, .topK, .kernel]
    public static let memoryTerms: [Term] = [.stream, .gather]
    public func seconds(_ term: Term) -> Double {
      switch term {
      case .kernel: kernelSeconds
      case .flops: flopSeconds
      case .transcendentals: transcendentalSeconds
      case .topK: topKSeconds
      case .stream: streamSeconds
      case .gather: gatherSeconds
      case .regions: regionSeconds
      }
    }
    /// The largest term that counts toward t_b (nil when none is positive): any term when the
    /// sides add; where they overlap (max), a term of the larger side, or the regions' latency.
    public var largestTerm: (Term, Double)? {
      let compute = Self.computeTerms, memory = Self.memoryTerms
      let counted = sidesAdd ? compute + memory : (computeSeconds >= memorySeconds ? compute : memory)
      let best = (counted + [.regions]).map { ($0, seconds($0)) }.max { $0.1 < $1.1 }
      return best.flatMap { $0.1 > 0 ? $0 : nil }
    }
  }

  /// A whole prediction.
  public struct Prediction: Sendable {
    public var buckets: [FlopBucket: BucketPrediction]
    /// Terms the profile has no rate for ("transcendentals", "top-k"), left out of the seconds.
    public var unpriced: [String]
    public var gatherFootprints: [Footprint]
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
      let comparisonsPerRow = Double(CostModel.topKComparisons(m.topKCandidates, m.topKBudget))
      let k = m.kernels
      var r = Rates(
        flopsPerSecond: m.fmaFlopsPerSecond[scope], streamBytesPerSecond: m.triadBytesPerSecond[scope], gatherCurve: m.gatherCurve,
        scope: scope,
        topKSecondsPerComparison: comparisonsPerRow > 0
          ? m.topKSecondsPerCandidate[scope] * Double(m.topKCandidates) / comparisonsPerRow : nil,
        sigmoidsPerSecond: m.sigmoidsPerSecond[scope], expsPerSecond: m.expsPerSecond[scope],
        gemmFlopsPerSecond: k.gemmFlopsPerSecond[scope], denseTileFlopsPerSecond: k.denseFlopsPerSecond[scope],
        indexerTileFlopsPerSecond: k.indexerFlopsPerSecond[scope], rowCosts: k, readBytesPerSecond: k.readBytesPerSecond[scope],
        gemvWeightBytesPerSecond: k.gemvWeightBytesPerSecond[scope])
      r.decodeSidesAdd = true
      r.parallelRegionSeconds = k.parallelRegionSeconds
      r.ropeTranscendentalsPerSecond = k.ropeTranscendentalsPerSecond[scope]
      if scope == .allCores {
        r.threads = m.threads
        r.perThreadTopKSecondsPerComparison =
          comparisonsPerRow > 0 ? m.topKSecondsPerCandidate.perThread * Double(m.topKCandidates) / comparisonsPerRow : nil
        r.perThreadReadBytesPerSecond = k.readBytesPerSecond.perThread
      }
      rates = r
    case .spec(let s):
      rates = Rates(
        flopsPerSecond: precision == .bf16 ? s.peakDenseBF16FlopsPerSecond.value : s.peakFP32FlopsPerSecond.value,
        streamBytesPerSecond: s.hbmBytesPerSecond.value, onChipFraction: min(1, max(0, onChipFraction)))
    }
  }

  /// The gather footprints of a pass (see the type's documentation); `budgets` are the prefill's
  /// measured k_t (nominal min(k_base, t + 1) without them).
  public static func gatherFootprints(
    config c: LayerConfig, phase: Phase, length L: Int, batch B: Int = 1, elementBytes e: Int = 4, budgets: [Int]? = nil
  ) -> [Footprint] {
    let row = 2 * Double(c.headDim) * Double(e)
    switch phase {
    case .decode: return [Footprint(bytes: Double(B) * Double(c.kvHeads) * row * Double(L))]
    case .prefill:
      let chunks = min(256, max(1, L))
      return (0..<chunks).map { i in
        let t0 = i * L / chunks, t1 = (i + 1) * L / chunks
        var weight = 0.0
        for t in t0..<t1 { weight += Double(budgets?[t] ?? min(c.kBase, c.candidateCount(query: t, length: L))) }
        let prefix = c.causal ? Double(t0 + t1 + 1) / 2 : Double(L)
        return Footprint(bytes: row * prefix, weight: weight)
      }
    }
  }

  /// The part of a ledger that runs in kernels with their own rates. Prefill:
  ///
  ///     gemm_proj = 2LD(n_q + 2n_kv) + 2L·n_q·D      gemm_gates = 2LD·n_kv [G2] + 2LD·n_q [G1]
  ///     gemm_idx  = 2LD(H_I·d_I + d_I + H_I)
  ///     tile_idx  = executed_idx − (gemm_idx + L·H_I [+ L·H_I·d_I] flops, L·H_I σ)
  ///     tile_att  = executed_att − L·n_q flops      (dense variants: the flash core)
  ///     core_att  = executed_att − L·n_q flops,  rows = G_att/(2·e·d_h)   (sparse variants)
  ///
  /// Decode (a step at length L, batch B; its GEMVs and the indexer's scoring stay at the
  /// primitive rates):
  ///
  ///     decode_att = executed_att − B·n_q flops,  rows = B·H_kv·(L + 1),  bytes = rows·2·e·d_h   (dense)
  ///     core_att   = executed_att − B·n_q flops,  rows = G_att/(2·e·d_h)                         (sparse)
  ///     W_proj = e·D(2n_q + 2n_kv),  W_gates = e·D·n_kv [G2] + e·D·n_q [G1],  W_idx = e·D(H_I·d_I + d_I + H_I)
  ///     gemv_b = 2B·W_b/e flops, its weights W_b                                (at R_gemv, below)
  ///
  /// `config` is the variant's configuration (`configured(for:)`); each part is clamped to the
  /// ledger's counts.
  public static func kernelWork(
    config c: LayerConfig, variant: Variant, phase: Phase, length L: Int, batch B: Int = 1, ledger: FlopLedger,
    elementBytes e: Int = 4, threads: Int = 1
  ) -> KernelWork {
    var work = KernelWork()
    let D = c.modelDim, d = c.headDim, nq = c.heads * c.headDim, nkv = c.kvHeads * c.headDim
    work.headDim = d
    if phase == .decode {
      guard L >= 0, B > 0 else { return work }
      work.parallelRegions = AttentionLayer.decodeParallelRegions(
        config: c, variant: variant, batch: B, length: L, workers: max(1, threads))
      let scale = FlopCounts(flops: B * nq)
      var weights: [FlopBucket: Int] = [.projections: D * (2 * nq + 2 * nkv)]
      if variant.isGated { weights[.gates] = (c.valueGate ? D * nkv : 0) + (c.outputGate ? D * nq : 0) }
      if variant.isSparse { weights[.indexer] = D * (c.indexerHeads * c.indexerDim + c.indexerDim + c.indexerHeads) }
      for (bucket, elements) in weights where elements > 0 {
        work.gemvWeightBytes[bucket] = min(ledger.bytes[bucket].read, e * elements)
        work.gemvFlops[bucket] = min(ledger.executed[bucket].flops, 2 * B * elements)
      }
      if variant.isSparse {
        work.sparseCounts = ledger.executed[.attention] - scale
        work.sparseRows = Double(ledger.bytes[.attention].gathered) / Double(2 * e * d)
        work.groupSize = max(1, c.heads / max(1, c.kvHeads))
        work.selectionTasks = DecodeSelectionSplit.standard.candidateTasks(
          candidates: L + 1, batch: B, adaptive: c.kRule != .fixed)
      } else {
        let rows = B * c.kvHeads * (L + 1)
        work.decodeRows = Double(rows)
        work.decodeCounts = ledger.executed[.attention] - scale
        work.decodeBytes = min(ledger.bytes[.attention].read, rows * 2 * e * d)
      }
      return work
    }
    guard L > 0 else { return work }
    work.gemmFlops[.projections] = min(ledger.executed[.projections].flops, 2 * L * D * (nq + 2 * nkv) + 2 * L * nq * D)
    if variant.isGated {
      let gates = (c.valueGate ? 2 * L * D * nkv : 0) + (c.outputGate ? 2 * L * D * nq : 0)
      work.gemmFlops[.gates] = min(ledger.executed[.gates].flops, gates)
    }
    let scale = FlopCounts(flops: L * nq)
    if variant.isSparse {
      let HI = c.indexerHeads, dI = c.indexerDim
      let gemm = 2 * L * D * (HI * dI + dI + HI)
      work.gemmFlops[.indexer] = min(ledger.executed[.indexer].flops, gemm)
      let projections = FlopCounts(flops: gemm + L * HI + (c.indexerScale ? L * HI * dI : 0), transcendentals: L * HI)
      work.tileCounts[.indexer] = ledger.executed[.indexer] - projections
      work.sparseCounts = ledger.executed[.attention] - scale
      work.sparseRows = Double(ledger.bytes[.attention].gathered) / Double(2 * e * d)
      work.groupSize = max(1, c.heads / max(1, c.kvHeads))
    } else {
      work.tileCounts[.attention] = ledger.executed[.attention] - scale
    }
    return work
  }

  /// The prediction for `ledger` (its executed counts and bytes), with its gathers' footprints
  /// (`gatherFootprints`) and the part of it run by kernels with their own rates (`work`; none by
  /// default: everything at the primitive rates). Kernel work whose rate the profile lacks (a GPU
  /// spec profile) stays at the primitive rates.
  public func predict(
    _ ledger: FlopLedger, phase: Phase, gatherFootprints: [Footprint], kernelWork work: KernelWork = KernelWork()
  ) -> Prediction {
    var buckets = [FlopBucket: BucketPrediction]()
    var unpriced = Set<String>()
    for bucket in FlopBucket.allCases {
      var counts = ledger.executed[bucket]
      let bytes = ledger.bytes[bucket]
      var p = BucketPrediction()
      // Kernel work at its own rates, taken out of the counts the primitive rates price.
      var gathered = Double(bytes.gathered)
      if let rate = rates.gemmFlopsPerSecond, let gemm = work.gemmFlops[bucket], gemm > 0 {
        p.kernelSeconds += Double(gemm) / rate
        counts.flops -= gemm
      }
      let tileRate = bucket == .attention ? rates.denseTileFlopsPerSecond : bucket == .indexer ? rates.indexerTileFlopsPerSecond : nil
      if let tileRate, let tile = work.tileCounts[bucket] {
        p.kernelSeconds += Double(tile.flops) / tileRate
        counts = counts - tile
      }
      if bucket == .attention, work.sparseRows > 0,
        let seconds = rates.sparseRowSeconds(work.sparseRows, groupSize: work.groupSize, footprints: gatherFootprints)
      {
        p.kernelSeconds += seconds
        counts = counts - work.sparseCounts
        gathered = 0
      }
      var streamedInKernel = 0
      if phase == .decode, let rate = rates.gemvWeightBytesPerSecond, let bytes = work.gemvWeightBytes[bucket], bytes > 0 {
        // The weights stream once for all B rows; the FLOPs bound it where B is large.
        let flops = work.gemvFlops[bucket] ?? 0
        p.kernelSeconds += max(Double(bytes) / rate, Double(flops) / (rates.gemmFlopsPerSecond ?? rates.flopsPerSecond))
        counts.flops = max(0, counts.flops - flops)
        streamedInKernel += bytes
      }
      if bucket == .attention, work.decodeRows > 0, let cache = gatherFootprints.first,
        let seconds = rates.decodeRowSeconds(work.decodeRows, headDim: work.headDim, footprintBytes: cache.bytes)
      {
        p.kernelSeconds += seconds
        counts = counts - work.decodeCounts
        streamedInKernel = work.decodeBytes
      }
      let comparisons = bucket == .selection ? 0 : counts.comparisons
      p.flopSeconds = Double(counts.flops + comparisons) / rates.flopsPerSecond
      let rate =
        bucket == .attention
        ? rates.expsPerSecond
        : bucket == .projections
          ? rates.ropeTranscendentalsPerSecond ?? rates.sigmoidsPerSecond
          : rates.sigmoidsPerSecond
      if counts.transcendentals > 0 {
        if let rate { p.transcendentalSeconds = Double(counts.transcendentals) / rate } else { unpriced.insert("transcendentals") }
      }
      // Decode's selection: passes in sequence (sides add), on one thread per task when its tasks
      // are fewer than the threads.
      let selectionTasks = bucket == .selection && phase == .decode ? work.selectionTasks : nil
      let oneThreadPerTask = selectionTasks.map { $0 < rates.threads } ?? false
      p.sidesAdd = phase == .decode && rates.decodeSidesAdd
      if bucket == .selection, counts.comparisons > 0 {
        if let tau = oneThreadPerTask ? rates.perThreadTopKSecondsPerComparison : rates.topKSecondsPerComparison {
          p.topKSeconds = Double(counts.comparisons) * tau / Double(oneThreadPerTask ? selectionTasks! : 1)
        } else {
          unpriced.insert("top-k")
        }
      }
      let gatheredInRead = phase == .decode ? min(bytes.gathered, bytes.read) : 0
      var stream = phase == .decode ? rates.readBytesPerSecond ?? rates.streamBytesPerSecond : rates.streamBytesPerSecond
      if oneThreadPerTask, let perThread = rates.perThreadReadBytesPerSecond {
        stream = perThread * Double(selectionTasks!)
        p.flopSeconds *= Double(rates.threads) / Double(selectionTasks!)  // P per thread taken as P / threads
      }
      p.streamSeconds = Double(max(0, bytes.compulsory - gatheredInRead - streamedInKernel)) / stream
      p.gatherSeconds = rates.gatherSeconds(gathered, footprints: gatherFootprints)
      if phase == .decode, let region = rates.parallelRegionSeconds {
        p.regionSeconds = Double(work.parallelRegions[bucket]) * region
      }
      buckets[bucket] = p
    }
    return Prediction(buckets: buckets, unpriced: unpriced.sorted(), gatherFootprints: gatherFootprints)
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
      gatherFootprints: Self.gatherFootprints(
        config: c, phase: phase, length: L, batch: B, elementBytes: e, budgets: phase == .prefill && variant.isSparse ? budgets : nil),
      kernelWork: Self.kernelWork(
        config: c, variant: variant, phase: phase, length: L, batch: B, ledger: ledger, elementBytes: e, threads: rates.threads))
  }
}

extension TimeModel {
  /// The prediction for a measured prefill sweep point (its counted ledger and measured k_t).
  public func predict(_ point: SweepPoint, config: LayerConfig) -> Prediction {
    let c = config.configured(for: point.variant)
    return predict(
      point.counted, phase: .prefill, gatherFootprints: Self.gatherFootprints(config: c, phase: .prefill, length: point.length),
      kernelWork: Self.kernelWork(config: c, variant: point.variant, phase: .prefill, length: point.length, ledger: point.counted))
  }

  /// The prediction for a measured decode point (its counted ledger and measured k_t).
  public func predict(_ point: DecodePoint, config: LayerConfig) -> Prediction {
    let c = config.configured(for: point.variant)
    return predict(
      point.counted, phase: .decode,
      gatherFootprints: Self.gatherFootprints(config: c, phase: .decode, length: point.length, batch: point.batch),
      kernelWork: Self.kernelWork(
        config: c, variant: point.variant, phase: .decode, length: point.length, batch: point.batch, ledger: point.counted,
        threads: rates.threads))
  }
}

extension FlopCounts {
  /// a − b per count, clamped at 0 (the time model's kernel work taken out of a bucket's counts).
  fileprivate static func - (a: FlopCounts, b: FlopCounts) -> FlopCounts {
    FlopCounts(
      flops: max(0, a.flops - b.flops), transcendentals: max(0, a.transcendentals - b.transcendentals),
      comparisons: max(0, a.comparisons - b.comparisons))
  }
}
