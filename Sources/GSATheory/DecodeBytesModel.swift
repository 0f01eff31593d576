import GSAModel

/// What the byte model says about one decode step of each variant at a configuration, length L,
/// batch B and element size: bytes per step per bucket (`CostModel.decodeLedger`), the
/// bytes-ratio speedup over dense, the batch at which the KV cache a step reads outweighs the
/// layer's weights, and the speedup's limit as B → ∞.
///
/// k_t: the nominal min(k_base, L + 1) for every rule (the code rule's budgets lie in
/// [0.5, 1.5]·k_base, k_base at v̂ = 1).
///
/// Mathematical properties:
/// - a step's bytes are affine in B, bytes(B) = W + B·s, with W the B-independent part (the
///   weights, read once for the batch, the biases and a RoPE table row) and s the per-sequence
///   part (activations, the cache rows read, the selections); so the bytes speedup over dense,
///   (W_d + B·s_d)/(W + B·s), tends to s_d/s as B → ∞ and moves monotonically between its B = 1 and
///   limit values;
/// - `cacheOutweighsWeightsBatch` is the smallest B with B·c > w, c the cache bytes a sequence's
///   step reads (K/V rows, indexer keys, row statistics), w the weights' bytes.
public struct DecodeBytesModel: Sendable {
  public struct Entry: Sendable {
    public let variant: Variant
    /// The step's ledger at batch B.
    public let ledger: FlopLedger
    /// W and s of bytes(B) = W + B·s (compulsory bytes).
    public let fixedBytes: Int
    public let bytesPerSequence: Int
    /// Bytes of the weight tensors the variant reads.
    public let weightBytes: Int
    /// Bytes of the KV cache one sequence's step reads (K/V rows, indexer keys, statistics).
    public let cacheBytesPerSequence: Int
    public var compulsoryBytes: Int { ledger.bytesTotal.compulsory }
  }

  public let config: LayerConfig
  public let length: Int
  public let batch: Int
  public let elementBytes: Int
  public let entries: [Entry]

  public init(config: LayerConfig, length L: Int, batch B: Int, elementBytes e: Int, variants: [Variant]) {
    self.config = config
    self.length = L
    self.batch = B
    self.elementBytes = e
    let all = Set(variants + [.dense])
    entries = Variant.allCases.filter(all.contains).map { variant in
      let c = config.configured(for: variant)
      let model = CostModel(config: c, variant: variant, elementBytes: e)
      let one = model.decodeLedger(length: L, batch: 1).bytesTotal.compulsory
      let two = model.decodeLedger(length: L, batch: 2).bytesTotal.compulsory
      let shapes = LayerWeights.shapes(for: c)
      var names = ["w_q", "w_k", "w_v", "w_o"]
      if variant.isGated && c.valueGate { names += ["w_gate_v", "b_gate_v"] }
      if variant.isGated && c.outputGate { names += ["w_gate_o", "b_gate_o"] }
      if variant.isSparse { names += ["w_iq", "w_ik", "w_iw", "b_iw", "b_i"] }
      let weights = names.reduce(0) { $0 + e * shapes[$1]!.rows * shapes[$1]!.cols }
      let n = L + 1
      let nkv = c.kvHeads * c.headDim
      let rows = variant.isSparse ? min(c.kBase, n) : n
      var cache = e * 2 * nkv * rows
      if variant.isSparse { cache += e * n * c.indexerDim + (c.kRule == .code ? 16 : c.kRule == .figure ? 8 : 0) * L }
      return Entry(
        variant: variant, ledger: model.decodeLedger(length: L, batch: B), fixedBytes: 2 * one - two,
        bytesPerSequence: two - one, weightBytes: weights, cacheBytesPerSequence: cache)
    }
  }

  public func entry(_ variant: Variant) -> Entry? { entries.first { $0.variant == variant } }

  /// Dense bytes / the variant's bytes at batch B.
  public func bytesSpeedup(_ variant: Variant) -> Double {
    guard let d = entry(.dense), let v = entry(variant) else { return .nan }
    return Double(d.compulsoryBytes) / Double(v.compulsoryBytes)
  }

  /// Dense useful FLOPs / the variant's (a labelled convention: a memory-bound step's time is not its FLOPs).
  public func flopSpeedup(_ variant: Variant) -> Double {
    guard let d = entry(.dense), let v = entry(variant) else { return .nan }
    return Double(d.ledger.usefulTotal.flops) / Double(v.ledger.usefulTotal.flops)
  }

  /// lim_{B→∞} of `bytesSpeedup`: s_dense / s.
  public func bytesSpeedupLimit(_ variant: Variant) -> Double {
    guard let d = entry(.dense), let v = entry(variant) else { return .nan }
    return Double(d.bytesPerSequence) / Double(v.bytesPerSequence)
  }

  /// The smallest B with B·(cache bytes per sequence) > weight bytes.
  public func cacheOutweighsWeightsBatch(_ variant: Variant) -> Int? {
    guard let v = entry(variant), v.cacheBytesPerSequence > 0 else { return nil }
    return v.weightBytes / v.cacheBytesPerSequence + 1
  }
}
