import GSAModel

/// The closed-form operation counts of one forward pass of an `AttentionLayer`, per FLOP bucket,
/// in the ledger's units (multiply/add FLOPs with FMA = 2; transcendentals; comparisons), both
/// `useful` (causal pairs only, no tiling overhead) and `executed` (what the tiled kernels run:
/// padded query rows and key columns, masked tile entries, online-softmax rescaling).
///
/// Notation: L length, D, H, H_kv, d = d_h, H_I, d_I, n_t = t + 1 causal candidates (L when not
/// causal), n_q = H·d, n_kv = H_kv·d, h = d/2. Per bucket:
/// - projections: 2LD(n_q + 2n_kv) + 2L·n_q·D (Q, K, V, O) + L·h (RoPE angles) + 6L(H + H_kv)·h
///   (rotations) flops; h + 2L·h transcendentals (θ powers, cos, sin).
/// - gates (gated variants, per gate on, width n = n_kv for G2, n_q for G1): 2LDn + 2Ln flops,
///   L·n sigmoids.
/// - indexer (sparse variants): 2LD(H_I·d_I + d_I + H_I) + L·H_I (+ L·H_I·d_I with the 1/√d_I scale)
///   flops and L·H_I sigmoids for the projections; per scored pair H_I(2d_I + 3) flops and H_I
///   sigmoids (or H_I ReLU comparisons). Useful pairs Σ_t n_t; executed pairs Σ_g R_I·⌈min(R_I·g+R_I, L)⌉₁₆
///   over R_I-row groups, R_I = `indexerRowGroup` (6) (⌈L⌉₁₆ when not causal).
/// - selection (sparse variants): radix top-k of budget k among n candidates, r(n, k) comparisons
///   when k < n: 6n + 3G + 7168 with G = 16⌈k/8⌉ group maxima when n ≥ G, else 7n + 5120.
///   Fixed rule: L clamps + Σ_t r(n_t, k_t). Adaptive rules:
///   row statistics Σ_t (3n_t + 4) flops and 2 divisions per pass (code: one N = L) or per row (figure), V̄: L + 1 flops + 1 division, per query
///   4 flops + 2 divisions (code) or 1 flop + 1 division (figure) and 3 clamps, stage 1 keeps
///   c_t = min(k_max, n_t): Σ_t r(n_t, c_t), stage 2: Σ_t r(c_t, k_t).
/// - attention: L·n_q flops (1/√d scaling) plus, per (query, head) over m keys (m = n_t dense
///   useful, m = k_t sparse), 4d·m + 2m + d flops, m + 1 transcendentals, m comparisons.
///   Dense executed, with R = `denseRowGroup` (12) and C = `denseKeyTile` (64): per head, per R-row
///   group g, ⌈min(Rg+R, L)/C⌉ tiles (⌈L/C⌉ when not causal) of 4d·R·C + 2RC + R(d + 3) flops,
///   RC + R exps, RC + R comparisons, plus R reciprocals and R·d flops per group.
///
/// Bytes (`ByteCounts`: each pass reads its operands once and writes its results once), with e the
/// element size of float tensors (`elementBytes`), 4-byte indices, P = Σ_t n_t scored pairs,
/// K = Σ_t k_t selected pairs:
/// - projections: Q, K, V GEMMs read e(3LD + D(n_q + 2n_kv)), write eL(n_q + 2n_kv); RoPE tables
///   write 2eL·h; each RoPE sweep (H or H_kv heads) reads and writes eL·heads·2h and reads the
///   tables (2eL·h); the O GEMM reads e(L·n_q + n_q·D), writes eLD.
/// - gates, per gate of width n: GEMM reads e(LD + Dn + n), writes eLn; σ reads and writes eLn;
///   the product reads 2eLn, writes eLn.
/// - indexer: the three projection GEMMs (q^I, k^I, w with its bias), the 1/√d_I scale and σ of w
///   as passes; the scores read e(L(H_I·d_I + H_I + d_I) + H_I) and write eP.
/// - selection: reads eP, writes 4K.
/// - attention: the 1/√d_h scale reads and writes eL·n_q; dense core reads eL(n_q + 2n_kv), writes
///   eL·n_q; sparse core reads eL(n_q + 2n_kv) + 4K, writes eL·n_q, gathers 2e·n_kv·K.
public struct CostModel: Sendable {
  public let config: LayerConfig
  public let variant: Variant
  public let tiling: KernelTiling
  /// Bytes of one float tensor element: 4 (float32, the kernels' ledger) or 2 (bf16, the paper's setting).
  public let elementBytes: Int

  public init(config: LayerConfig, variant: Variant, tiling: KernelTiling = .standard, elementBytes: Int = 4) {
    self.config = config
    self.variant = variant
    self.tiling = tiling
    self.elementBytes = elementBytes
  }

  private func candidates(_ t: Int, _ L: Int) -> Int { config.causal ? t + 1 : L }

  /// r(n, k): the radix top-k's comparisons for budget k among n candidates (0 when k ≥ n).
  static func topKComparisons(_ n: Int, _ k: Int) -> Int {
    guard k < n else { return 0 }
    let maxima = 16 * ((k + 7) / 8)
    return n >= maxima ? 6 * n + 3 * maxima + 7168 : 7 * n + 5120
  }
  private static func up(_ n: Int, _ m: Int) -> Int { (n + m - 1) / m * m }

  /// The nominal budgets when k_t is unknown: min(k_base, n_t) (exact for the fixed rule).
  public func nominalBudgets(length L: Int) -> [Int] { (0..<L).map { min(config.kBase, candidates($0, L)) } }

  /// The ledger of a forward pass of length L. `kPerQuery` are the measured k_t (adaptive rules;
  /// `ForwardResult.kPerQuery`); without them the nominal budgets are used.
  public func ledger(length L: Int, kPerQuery: [Int]? = nil) -> FlopLedger {
    let c = config
    let D = c.modelDim, H = c.heads, Hkv = c.kvHeads, d = c.headDim
    let nq = H * d, nkv = Hkv * d, half = d / 2
    var ledger = FlopLedger()
    let causalPairs = config.causal ? L * (L + 1) / 2 : L * L

    let e = elementBytes
    let totalK = variant.isSparse ? (kPerQuery ?? nominalBudgets(length: L)).reduce(0, +) : 0

    // Projections and RoPE.
    ledger.add(
      .projections,
      FlopCounts(
        flops: 2 * L * D * (nq + 2 * nkv) + 2 * L * nq * D + L * half + 6 * L * (H + Hkv) * half,
        transcendentals: half + 2 * L * half))
    ledger.addBytes(.projections, ByteCounts(read: e * (3 * L * D + D * (nq + 2 * nkv)), written: e * L * (nq + 2 * nkv)))
    ledger.addBytes(.projections, ByteCounts(written: e * 2 * L * half))
    for heads in [H, Hkv] {
      ledger.addBytes(.projections, ByteCounts(read: e * (L * heads * 2 * half + 2 * L * half), written: e * L * heads * 2 * half))
    }
    ledger.addBytes(.projections, ByteCounts(read: e * (L * nq + nq * D), written: e * L * D))

    // Gates.
    func gateBytes(width n: Int) -> ByteCounts {
      ByteCounts(read: e * (L * D + D * n + n), written: e * L * n) + ByteCounts(read: e * L * n, written: e * L * n)
        + ByteCounts(read: 2 * e * L * n, written: e * L * n)
    }
    if variant.isGated {
      if c.valueGate {
        ledger.add(.gates, FlopCounts(flops: 2 * L * D * nkv + 2 * L * nkv, transcendentals: L * nkv))
        ledger.addBytes(.gates, gateBytes(width: nkv))
      }
      if c.outputGate {
        ledger.add(.gates, FlopCounts(flops: 2 * L * D * nq + 2 * L * nq, transcendentals: L * nq))
        ledger.addBytes(.gates, gateBytes(width: nq))
      }
    }

    // Attention: query scaling, then the core.
    ledger.add(.attention, FlopCounts(flops: L * nq))
    ledger.addBytes(.attention, ByteCounts(read: e * L * nq, written: e * L * nq))
    ledger.addBytes(
      .attention,
      ByteCounts(
        read: e * L * (nq + 2 * nkv) + 4 * totalK, written: e * L * nq,
        gathered: variant.isSparse ? 2 * e * nkv * totalK : 0))
    func softmaxRows(_ m: Int, rows: Int) -> FlopCounts {
      FlopCounts(flops: 4 * d * m + 2 * m + d * rows, transcendentals: m + rows, comparisons: m)
    }

    if variant.isSparse {
      let HI = c.indexerHeads, dI = c.indexerDim
      let relu = c.indexerActivation == .relu
      var projections = FlopCounts(
        flops: 2 * L * D * (HI * dI + dI + HI) + L * HI + (c.indexerScale ? L * HI * dI : 0), transcendentals: L * HI)
      ledger.add(.indexer, projections)
      ledger.addBytes(.indexer, ByteCounts(read: e * (L * D + D * HI * dI), written: e * L * HI * dI))
      if c.indexerScale { ledger.addBytes(.indexer, ByteCounts(read: e * L * HI * dI, written: e * L * HI * dI)) }
      ledger.addBytes(.indexer, ByteCounts(read: e * (L * D + D * dI), written: e * L * dI))
      ledger.addBytes(.indexer, ByteCounts(read: e * (L * D + D * HI + HI), written: e * L * HI))
      ledger.addBytes(.indexer, ByteCounts(read: e * L * HI, written: e * L * HI))
      ledger.addBytes(.indexer, ByteCounts(read: e * (L * (HI * dI + HI + dI) + HI), written: e * causalPairs))
      ledger.addBytes(.selection, ByteCounts(read: e * causalPairs, written: 4 * totalK))
      let pair = FlopCounts(flops: HI * (2 * dI + 3), transcendentals: relu ? 0 : HI, comparisons: relu ? HI : 0)
      var executedPairs = 0
      let R = tiling.indexerRowGroup, C = tiling.indexerKeyChunk
      let groups = (L + R - 1) / R
      for g in 0..<groups { executedPairs += R * (c.causal ? Self.up(min(R * g + R, L), C) : Self.up(L, C)) }
      ledger.addUseful(.indexer, pair.times(causalPairs))
      ledger.addExecuted(.indexer, pair.times(executedPairs))
      projections = FlopCounts()

      let budgets = kPerQuery ?? nominalBudgets(length: L)
      precondition(budgets.count == L, "kPerQuery must have L entries")
      var selection = FlopCounts()
      let radix = Self.topKComparisons
      if c.kRule == .fixed {
        selection.comparisons += L
        for t in 0..<L { selection.comparisons += radix(candidates(t, L), min(c.kBase, candidates(t, L))) }
      } else {
        // Row sums 3n_t and the variance 4 per row; its reciprocals once per pass (code, one N)
        // or per row (figure, N = n_t); V̄: L + 1 flops and a division.
        selection.flops += 3 * causalPairs + 4 * L + (L + 1)
        selection.transcendentals += (c.kRule == .code ? 2 : 2 * L) + 1
        selection +=
          (c.kRule == .code
          ? FlopCounts(flops: 4, transcendentals: 2, comparisons: 3)
          : FlopCounts(flops: 1, transcendentals: 1, comparisons: 3)).times(L)
        for t in 0..<L {
          let n = candidates(t, L)
          let keep = min(c.kMax, n)
          selection.comparisons += radix(n, keep) + radix(keep, budgets[t])
        }
      }
      ledger.add(.selection, selection)
      ledger.add(.attention, softmaxRows(totalK, rows: L).times(H))
    } else {
      ledger.addUseful(.attention, softmaxRows(causalPairs, rows: L).times(H))
      let R = tiling.denseRowGroup, C = tiling.denseKeyTile
      let groups = (L + R - 1) / R
      var tiles = 0
      for g in 0..<groups { tiles += (c.causal ? Self.up(min(R * g + R, L), C) : Self.up(L, C)) / C }
      let perTile = FlopCounts(flops: 4 * d * R * C + 2 * R * C + R * (d + 3), transcendentals: R * C + R, comparisons: R * C + R)
      let perGroup = FlopCounts(flops: R * d, transcendentals: R)
      ledger.addExecuted(.attention, (perTile.times(tiles) + perGroup.times(groups)).times(H))
    }
    return ledger
  }

  /// Predicted peak bytes allocated by the forward pass beyond its input and weights: the
  /// maximum over its phases of the live activation buffers (Q/K/V with their tile padding, RoPE
  /// tables, gate buffers, attention output, packed Kᵀ and V or the indexer tensors, the selection arrays and
  /// `workers` score buffers of `indexerQueryBlock × ⌈L⌉₁₆` floats, then the sparse core's
  /// head-major K/V copies and its per-worker score scratch, the result). Scratch below
  /// 64 KiB per task and allocator overhead are not included.
  public func peakMemoryBytes(length L: Int, workers: Int) -> Int {
    let c = config
    let D = c.modelDim, H = c.heads, Hkv = c.kvHeads, d = c.headDim
    let nq = H * d, nkv = Hkv * d
    let f = 4, i = 8
    let keyStride = Self.up(L, tiling.denseKeyTile)
    let base = (Self.up(L, tiling.denseRowGroup) * nq + 2 * keyStride * nkv + 2 * L * (d / 2)) * f
    let gate2 = variant.isGated && c.valueGate ? L * nkv * f : 0
    let o = L * nq * f
    var core: Int
    var carried = 0
    var sparsePhase = 0
    if variant.isSparse {
      let HI = c.indexerHeads, dI = c.indexerDim
      let rows = Self.up(L, tiling.indexerRowGroup), strideI = Self.up(L, tiling.indexerKeyChunk)
      let indexerTensors = (rows * HI * dI + dI * strideI + rows * HI + HI) * f
      let budgetCap = c.kRule == .fixed ? c.kBase : c.kMax
      let keep = (0..<L).reduce(0) { $0 + min(budgetCap, candidates($1, L)) }
      let selection = keep * 4 * (c.kRule == .fixed ? 1 : 2) + (L + 1) * i + 2 * L * i + (c.kRule == .fixed ? 0 : L * i)
      // Per worker: its score buffer and its top-k scratch (Int32).
      let scoreBuffers =
        workers * tiling.indexerQueryBlock * strideI * f + workers * KernelBuffers.topKScratchInt32s(candidates: L) * 4
      core = indexerTensors + selection + scoreBuffers + L * dI * f
      carried = selection
      // The sparse core, once the indexer's tensors are freed: head-major copies of K and V and
      // per worker a scratch of one task's score rows.
      let scratch = KernelBuffers.sparseScratchFloats(length: L, groupSize: H / Hkv, maxSelected: min(budgetCap, L))
      sparsePhase = carried + 2 * KernelBuffers.alignedBytes(floats: L * nkv) + workers * scratch * f
    } else {
      core = 2 * Hkv * d * keyStride * f  // packed Kᵀ and per-head V
    }
    let gate1 = variant.isGated && c.outputGate ? L * nq * f : 0
    let result = L * D * f + L * i
    return base + max(gate2, o + core, o + sparsePhase, o + carried + gate1, o + carried + result)
  }
}
