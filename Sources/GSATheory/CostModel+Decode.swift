import GSAModel

extension CostModel {
  /// The ledger of one decode step (`AttentionLayer.decodeStep`): B sequences holding L tokens each
  /// append one, n = L + 1 keys. `kPerSequence` are the measured k_t (adaptive rules); without
  /// them min(k_base, n). Operation counts as the prefill's with B rows, plus:
  /// - RoPE: one table row (h flops, 3h transcendentals), shared by the batch;
  /// - indexer: B·n useful pairs, B·16⌈n/16⌉ executed (16-key chunks);
  /// - selection, per sequence: fixed 1 clamp + r(n, c); adaptive 3n (row sums) + 4n and 2
  ///   divisions (code: every row's variance at N = n) or 4 + 2 divisions (figure: the new row's),
  ///   V̄ n + 1 flops and 1 division, the budget, r₁(n, c) + r(c, k), with c = min(k_max, n);
  ///   r₁(n, c) = r(n, c) for one select over all n, and when the step splits
  ///   (`DecodeSelectionSplit.splits`: n ≥ 32768, at every batch) into ranges of s
  ///   candidates, ⌊n/s⌋·r(s, c) + r(n mod s, c) + r(m, c) with m = ⌊n/s⌋·min(c, s) + min(c, n mod s)
  ///   winners (the fixed rule's c is min(k_base, n));
  /// - attention: per head, softmax over m = n keys (dense) or k (sparse), no padding.
  ///
  /// Bytes (e = `elementBytes`): every pass as in prefill with B rows; the RoPE sweeps read one
  /// table row; the KV append reads and writes 2e·B·n_kv (attention) and the indexer key append
  /// e·B·d_I; the scores read the n cached indexer keys of each sequence, e·(B(H_I·d_I + H_I + n·d_I)
  /// + H_I), and write e·B·n; the selection reads e·B·n and writes 4Σk, and reads the cached
  /// statistics (code 16·L, figure 8·L bytes per sequence) and writes the new row's (16 or 8),
  /// split or not (the ranges' winners are scratch);
  /// the dense core reads Q and the n cached K and V rows, e(B·n_q + 2n·B·n_kv); the sparse core
  /// Q, its 4-byte indices and the k selected rows, e(B·n_q + 2n_kv·Σk) + 4Σk, gathered 2e·n_kv·Σk.
  ///
  /// Mathematical properties: bytes are affine in L at fixed k (the cache reads), and the weights'
  /// bytes do not grow with B: at batch B the weights are read once for all B tokens.
  public func decodeLedger(
    length L: Int, batch B: Int, kPerSequence: [Int]? = nil, selectionSplit: DecodeSelectionSplit = .standard
  ) -> FlopLedger {
    let c = config
    let D = c.modelDim, H = c.heads, Hkv = c.kvHeads, d = c.headDim
    let nq = H * d, nkv = Hkv * d, half = d / 2
    let e = elementBytes
    let n = L + 1
    var ledger = FlopLedger()
    let budgets = kPerSequence ?? [Int](repeating: variant.isSparse ? min(c.kBase, n) : n, count: B)
    precondition(budgets.count == B, "kPerSequence must have B entries")
    let totalK = budgets.reduce(0, +)

    // Projections and RoPE.
    ledger.add(
      .projections,
      FlopCounts(
        flops: 2 * B * D * (nq + 2 * nkv) + 2 * B * nq * D + half + 6 * B * (H + Hkv) * half,
        transcendentals: 3 * half))
    ledger.addBytes(.projections, ByteCounts(read: e * (3 * B * D + D * (nq + 2 * nkv)), written: e * B * (nq + 2 * nkv)))
    ledger.addBytes(.projections, ByteCounts(written: e * 2 * half))
    for heads in [H, Hkv] {
      ledger.addBytes(.projections, ByteCounts(read: e * (B * heads * 2 * half + 2 * half), written: e * B * heads * 2 * half))
    }
    ledger.addBytes(.projections, ByteCounts(read: e * (B * nq + nq * D), written: e * B * D))

    // Gates.
    func gate(width w: Int) {
      ledger.add(.gates, FlopCounts(flops: 2 * B * D * w + 2 * B * w, transcendentals: B * w))
      ledger.addBytes(.gates, ByteCounts(read: e * (B * D + D * w + w + B * w + 2 * B * w), written: 3 * e * B * w))
    }
    if variant.isGated && c.valueGate { gate(width: nkv) }
    if variant.isGated && c.outputGate { gate(width: nq) }

    // Attention: query scaling, the KV append, the core.
    ledger.add(.attention, FlopCounts(flops: B * nq))
    ledger.addBytes(.attention, ByteCounts(read: e * B * nq, written: e * B * nq))
    ledger.addBytes(.attention, ByteCounts(read: e * 2 * B * nkv, written: e * 2 * B * nkv))
    for m in budgets {
      ledger.add(.attention, FlopCounts(flops: 4 * d * m + 2 * m + d, transcendentals: m + 1, comparisons: m).times(H))
    }
    let sparse = variant.isSparse
    ledger.addBytes(
      .attention,
      ByteCounts(
        read: e * (B * nq + 2 * nkv * totalK) + (sparse ? 4 * totalK : 0), written: e * B * nq,
        gathered: sparse ? 2 * e * nkv * totalK : 0))

    guard sparse else { return ledger }
    let HI = c.indexerHeads, dI = c.indexerDim
    let relu = c.indexerActivation == .relu
    ledger.add(
      .indexer,
      FlopCounts(
        flops: 2 * B * D * (HI * dI + dI + HI) + B * HI + (c.indexerScale ? B * HI * dI : 0), transcendentals: B * HI))
    ledger.addBytes(.indexer, ByteCounts(read: e * (B * D + D * HI * dI), written: e * B * HI * dI))
    if c.indexerScale { ledger.addBytes(.indexer, ByteCounts(read: e * B * HI * dI, written: e * B * HI * dI)) }
    ledger.addBytes(.indexer, ByteCounts(read: e * (B * D + D * dI), written: e * B * dI))
    ledger.addBytes(.indexer, ByteCounts(read: e * (B * D + D * HI + HI), written: e * B * HI))
    ledger.addBytes(.indexer, ByteCounts(read: e * B * HI, written: e * B * HI))
    ledger.addBytes(.indexer, ByteCounts(read: e * B * dI, written: e * B * dI))
    ledger.addBytes(.indexer, ByteCounts(read: e * (B * (HI * dI + HI + n * dI) + HI), written: e * B * n))
    let pair = FlopCounts(flops: HI * (2 * dI + 3), transcendentals: relu ? 0 : HI, comparisons: relu ? HI : 0)
    ledger.addUseful(.indexer, pair.times(B * n))
    ledger.addExecuted(.indexer, pair.times(B * 16 * ((n + 15) / 16)))

    var selection = FlopCounts()
    var selectionBytes = ByteCounts(read: e * B * n, written: 4 * totalK)
    let r = Self.topKComparisons
    // Stage 1: one select over n, or the ranges' selects and the select over their winners.
    let split = selectionSplit.splits(candidates: n)
    func stageOne(_ cap: Int) -> Int {
      guard split else { return r(n, cap) }
      let s = selectionSplit.rangeSize
      let full = n / s, rest = n % s
      let winners = full * min(cap, s) + min(cap, rest)
      return full * r(s, cap) + r(rest, cap) + r(winners, cap)
    }
    if c.kRule == .fixed {
      selection.comparisons += B * (1 + stageOne(min(c.kBase, n)))
    } else {
      let cap = min(c.kMax, n)
      for k in budgets {
        selection.comparisons += stageOne(cap) + r(cap, k)
        selection += FlopCounts(flops: 3 * n + n + 1, transcendentals: 2 + 1)
        selection += c.kRule == .code ? FlopCounts(flops: 4 * n) : FlopCounts(flops: 4)
        selection +=
          c.kRule == .code
          ? FlopCounts(flops: 4, transcendentals: 2, comparisons: 3) : FlopCounts(flops: 1, transcendentals: 1, comparisons: 3)
      }
      let statistic = c.kRule == .code ? 16 : 8
      selectionBytes += ByteCounts(read: statistic * L, written: statistic).times(B)
    }
    ledger.add(.selection, selection)
    ledger.addBytes(.selection, selectionBytes)
    return ledger
  }
}
