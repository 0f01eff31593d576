import Foundation

/// Options of a forward pass.
public struct ForwardOptions: Sendable, Hashable {
  /// Return each query's selected key set (sparse variants; meant for small L).
  public var recordSelection: Bool
  public init(recordSelection: Bool = false) { self.recordSelection = recordSelection }
}

/// The result of `AttentionLayer.forward`.
public struct ForwardResult: Sendable {
  /// u, L × D.
  public var output: Matrix
  /// What the kernels counted.
  public var ledger: FlopLedger
  /// Keys each query attended to: k_t for sparse variants, the candidate count for dense ones.
  public var kPerQuery: [Int]
  /// S_t (ascending key indices), when `ForwardOptions.recordSelection` and the variant is sparse.
  public var selected: [[Int]]?
  /// Var_t of the indexer rows (adaptive rules on sparse variants; empty otherwise).
  public var indexerVariances: [Double]
  /// Σ_t k_t.
  public var totalSelected: Int { kPerQuery.reduce(0, +) }
}

/// One attention layer (GSA or a baseline) on the CPU, float32, with an exact FLOP ledger.
///
/// Runs exactly what `config` says, with the variant deciding the structure: sparse variants
/// (sparse-only, gsa) run the lightning indexer and top-k selection, dense ones (dense,
/// gated-only) dense causal attention; the gates G1/G2 run when the variant is gated *and* the
/// config's flags are on. Use `config.configured(for:)` for the paper's baselines.
///
/// Forward pass (GSA-THEORY.md §2): Q, K, V projections; RoPE (half-split pairs x_i, x_{i+⌊d/2⌋},
/// frequencies θ^{−2i/d_h}, i < ⌊d_h/2⌋; an odd d_h leaves the last component unrotated) on Q and K; G2 V' = V ⊙ σ(h W_V^g + b_V^g); indexer
/// I_{t,s} = Σ_j σ(h_t W^{Iw}_j + c_j)·act(q^I_{t,j}·k^I_s·[1/√d_I] + b_j) with act = sigmoid or
/// ReLU ([code] keeps the sigmoid head weights for ReLU too); adaptive top-k; softmax attention
/// with 1/√d_h; G1 O ⊙ σ(h W_O^g + b_O); output projection.
///
/// Memory: O(L·(D + k)) activations plus one `indexerQueryBlock × L` score buffer per worker.
public struct AttentionLayer: Sendable {
  public let config: LayerConfig
  public let variant: Variant
  public let weights: LayerWeights
  public let tiling: KernelTiling

  /// A layer with seeded weights (`LayerWeights(config:seed:)`); validates the config.
  public init(config: LayerConfig, variant: Variant, seed: UInt64) throws(ConfigError) {
    let valid = try config.validated()
    self.config = valid
    self.variant = variant
    self.weights = LayerWeights(config: valid, seed: seed)
    self.tiling = .standard
  }

  /// A layer with given weights (e.g. loaded from safetensors): every tensor must have the shape
  /// `config` implies; the switches (gates, rule, activation) come from `config`.
  public init(config: LayerConfig, variant: Variant, weights: LayerWeights) throws(ConfigError) {
    let valid = try config.validated()
    let expected = LayerWeights.shapes(for: valid)
    for name in LayerWeights.tensorNames {
      guard let tensor = weights.tensor(named: name), let shape = expected[name], tensor.rows == shape.rows,
        tensor.cols == shape.cols
      else {
        throw ConfigError(
          field: "weights", message: "tensor '\(name)' does not match the configuration's shape; rebuild the weights")
      }
    }
    self.config = valid
    self.variant = variant
    self.weights = weights
    self.tiling = .standard
  }

  /// Whether G2 / G1 run.
  public var usesValueGate: Bool { variant.isGated && config.valueGate }
  public var usesOutputGate: Bool { variant.isGated && config.outputGate }

  /// The forward pass on h (L × D).
  public func forward(_ x: Matrix, options: ForwardOptions = ForwardOptions()) throws(ConfigError) -> ForwardResult {
    guard x.cols == config.modelDim else {
      throw ConfigError(field: "input", message: "input has \(x.cols) columns, the layer expects D = \(config.modelDim)")
    }
    try config.validate(length: x.rows)
    return x.storage.withUnsafeBufferPointer { run($0.baseAddress!, length: x.rows, options: options) }
  }

  /// Indexer scores I_{t,s} for all pairs (L × L; entries s > t are −∞ when causal), computed by
  /// the same float32 kernel as the forward pass. For checks at small L (≤ 4096).
  public func indexerScores(_ x: Matrix) throws(ConfigError) -> Matrix {
    guard x.cols == config.modelDim else {
      throw ConfigError(field: "input", message: "input has \(x.cols) columns, the layer expects D = \(config.modelDim)")
    }
    try config.validate(length: x.rows)
    guard x.rows <= 4096 else { throw ConfigError(field: "length", message: "indexerScores is for L ≤ 4096") }
    let L = x.rows
    var result = Matrix(rows: L, cols: L, repeating: -.infinity)
    x.storage.withUnsafeBufferPointer { xb in
      var ledger = FlopLedger()
      let prepared = prepareIndexer(xb.baseAddress!, length: L, ledger: &ledger)
      defer { prepared.deallocate() }
      let rows = roundUp(L, indexerRows)
      let buffer = UnsafeMutablePointer<Float>.allocate(capacity: rows * prepared.inputs.keyStride)
      defer { buffer.deallocate() }
      _ = scoreQueryBlock(prepared.inputs, t0: 0, rows: rows, length: L, causal: false, into: buffer)
      for t in 0..<L {
        for s in 0..<config.candidateCount(query: t, length: L) {
          result[t, s] = buffer[t * prepared.inputs.keyStride + s]
        }
      }
    }
    return result
  }

  // MARK: - Implementation

  struct PreparedIndexer {
    var inputs: IndexerInputs
    var owned: [UnsafeMutablePointer<Float>]
    func deallocate() { for p in owned { p.deallocate() } }
  }

  private func matmul(
    _ x: UnsafePointer<Float>, rows: Int, _ w: Matrix, bias: Matrix?, into out: UnsafeMutablePointer<Float>
  ) -> FlopCounts {
    w.storage.withUnsafeBufferPointer { wb in
      if let bias {
        return bias.storage.withUnsafeBufferPointer { bb in
          gemm(x, rows: rows, inner: w.rows, wb.baseAddress!, cols: w.cols, into: out, bias: bb.baseAddress!)
        }
      }
      return gemm(x, rows: rows, inner: w.rows, wb.baseAddress!, cols: w.cols, into: out)
    }
  }

  /// An element-wise gate (G2 on the values, G1 on the attention output, [code]):
  /// target ⊙= σ(x·W + b), `rows × W.cols` floats; returns its counts (the projection, the
  /// sigmoids and the multiplies).
  private func applyGate(
    _ x: UnsafePointer<Float>, rows: Int, _ w: Matrix, bias: Matrix, to target: UnsafeMutablePointer<Float>
  ) -> FlopCounts {
    let count = rows * w.cols
    let g = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer { g.deallocate() }
    var counts = matmul(x, rows: rows, w, bias: bias, into: g)
    counts += sigmoidInPlace(g, count: count)
    for i in 0..<count { target[i] *= g[i] }
    return counts + FlopCounts(flops: count)
  }

  /// In-place logistic sigmoid of `count` floats (vectorised, stable); counts `count` sigmoids.
  private func sigmoidInPlace(_ p: UnsafeMutablePointer<Float>, count: Int) -> FlopCounts {
    var i = 0
    while i + 8 <= count {
      storeV(sigmoidV(loadV(p + i)), p + i)
      i += 8
    }
    while i < count {
      p[i] = stableSigmoid(p[i])
      i += 1
    }
    return FlopCounts(transcendentals: count)
  }

  /// q^I (scaled), k^I transposed, w: the indexer bucket's projection work.
  func prepareIndexer(_ x: UnsafePointer<Float>, length L: Int, ledger: inout FlopLedger) -> PreparedIndexer {
    let c = config
    let HI = c.indexerHeads, dI = c.indexerDim
    let rows = roundUp(L, indexerRows)
    let keyStride = roundUp(L, 16)
    let q = UnsafeMutablePointer<Float>.allocate(capacity: rows * HI * dI)
    q.initialize(repeating: 0, count: rows * HI * dI)
    var counts = matmul(x, rows: L, weights.wIQ, bias: nil, into: q)
    if c.indexerScale {
      let scale = Float(1 / Double(dI).squareRoot())
      for i in 0..<(L * HI * dI) { q[i] *= scale }
      counts += FlopCounts(flops: L * HI * dI)
    }
    let k = UnsafeMutablePointer<Float>.allocate(capacity: L * dI)
    defer { k.deallocate() }
    counts += matmul(x, rows: L, weights.wIK, bias: nil, into: k)
    let kT = UnsafeMutablePointer<Float>.allocate(capacity: dI * keyStride)
    kT.initialize(repeating: 0, count: dI * keyStride)
    for s in 0..<L { for j in 0..<dI { kT[(s / 16) * dI * 16 + j * 16 + s % 16] = k[s * dI + j] } }
    let w = UnsafeMutablePointer<Float>.allocate(capacity: rows * HI)
    w.initialize(repeating: 0, count: rows * HI)
    counts += matmul(x, rows: L, weights.wIW, bias: weights.bIW, into: w)
    counts += sigmoidInPlace(w, count: L * HI)
    ledger.add(.indexer, counts)
    let bias = UnsafeMutablePointer<Float>.allocate(capacity: HI)
    for j in 0..<HI { bias[j] = weights.bI.storage[j] }
    let inputs = IndexerInputs(
      queries: q, rows: rows, keysT: kT, keyStride: keyStride, weights: w, bias: bias, heads: HI, dim: dI,
      relu: c.indexerActivation == .relu)
    return PreparedIndexer(inputs: inputs, owned: [q, kT, w, bias])
  }

  /// RoPE on `heads` heads of each row of `p` (row stride heads·d) with precomputed tables.
  private func applyRope(
    _ p: UnsafeMutablePointer<Float>, rows L: Int, heads: Int, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>
  ) -> FlopCounts {
    let d = config.headDim, half = d / 2
    for t in 0..<L {
      for h in 0..<heads {
        let base = p + t * heads * d + h * d
        for i in 0..<half {
          let c = cos[t * half + i], s = sin[t * half + i]
          let a = base[i], b = base[i + half]
          base[i] = a * c - b * s
          base[i + half] = b * c + a * s
        }
      }
    }
    return FlopCounts(flops: 6 * L * heads * half)
  }

  private func run(_ x: UnsafePointer<Float>, length L: Int, options: ForwardOptions) -> ForwardResult {
    let c = config
    let H = c.heads, Hkv = c.kvHeads, d = c.headDim, D = c.modelDim
    let nq = H * d, nkv = Hkv * d
    var ledger = FlopLedger()
    let qRows = roundUp(L, tiling.denseRowGroup)
    let keyStride = roundUp(L, tiling.denseKeyTile)

    // 1. Projections. The GEMMs write rows 0 ..< L (both cores, so their first touch of the fresh
    // pages is parallel too); only the padding rows are zeroed here.
    let q = UnsafeMutablePointer<Float>.allocate(capacity: qRows * nq)
    (q + L * nq).initialize(repeating: 0, count: (qRows - L) * nq)
    let k = UnsafeMutablePointer<Float>.allocate(capacity: keyStride * nkv)
    (k + L * nkv).initialize(repeating: 0, count: (keyStride - L) * nkv)
    let v = UnsafeMutablePointer<Float>.allocate(capacity: keyStride * nkv)
    (v + L * nkv).initialize(repeating: 0, count: (keyStride - L) * nkv)
    defer {
      q.deallocate()
      k.deallocate()
      v.deallocate()
    }
    var proj = matmul(x, rows: L, weights.wQ, bias: nil, into: q)
    proj += matmul(x, rows: L, weights.wK, bias: nil, into: k)
    proj += matmul(x, rows: L, weights.wV, bias: nil, into: v)

    // 2. RoPE: cos/sin tables in float64 (d/2 pow, L·d/2 angle products, L·d cos+sin).
    let half = d / 2
    let cosT = UnsafeMutablePointer<Float>.allocate(capacity: L * half)
    let sinT = UnsafeMutablePointer<Float>.allocate(capacity: L * half)
    defer {
      cosT.deallocate()
      sinT.deallocate()
    }
    var freqs = [Double](repeating: 0, count: half)
    for i in 0..<half { freqs[i] = Foundation.pow(c.ropeBase, -2 * Double(i) / Double(d)) }
    for t in 0..<L {
      for i in 0..<half {
        let angle = Double(t) * freqs[i]
        cosT[t * half + i] = Float(Foundation.cos(angle))
        sinT[t * half + i] = Float(Foundation.sin(angle))
      }
    }
    proj += FlopCounts(flops: L * half, transcendentals: half + 2 * L * half)
    proj += applyRope(q, rows: L, heads: H, cos: cosT, sin: sinT)
    proj += applyRope(k, rows: L, heads: Hkv, cos: cosT, sin: sinT)
    ledger.add(.projections, proj)

    // 3. Scale queries by 1/√d_h (attention bucket).
    let qScale = Float(1 / Double(d).squareRoot())
    for i in 0..<(L * nq) { q[i] *= qScale }
    ledger.add(.attention, FlopCounts(flops: L * nq))

    // 4. G2 value gate.
    if usesValueGate { ledger.add(.gates, applyGate(x, rows: L, weights.wGateV, bias: weights.bGateV, to: v)) }

    // 5. Attention core.
    let o = UnsafeMutablePointer<Float>.allocate(capacity: L * nq)
    defer { o.deallocate() }
    var kPerQuery: [Int]
    var selected: [[Int]]? = nil
    var variances: [Double] = []
    if variant.isSparse {
      let prepared = prepareIndexer(x, length: L, ledger: &ledger)
      let selection = indexAndSelect(prepared.inputs, length: L, config: c, tiling: tiling, ledger: &ledger)
      prepared.deallocate()
      let inputs = AttentionInputs(
        queries: q, keysT: k, valuesByHead: v, keys: k, values: v, keyStride: keyStride, heads: H, kvHeads: Hkv,
        headDim: d)
      sparseAttention(inputs, selection: selection, length: L, output: o, ledger: &ledger)
      kPerQuery = selection.counts
      variances = selection.variances
      if options.recordSelection {
        selected = (0..<L).map { t in
          (0..<selection.counts[t]).map { Int(selection.indices[selection.offsets[t] + $0]) }
        }
      }
    } else {
      // Pack Kᵀ in 64-key tiles and V per kv head (see `AttentionInputs`).
      let tile = tiling.denseKeyTile
      let kT = UnsafeMutablePointer<Float>.allocate(capacity: Hkv * d * keyStride)
      let vh = UnsafeMutablePointer<Float>.allocate(capacity: Hkv * d * keyStride)
      defer {
        kT.deallocate()
        vh.deallocate()
      }
      kT.initialize(repeating: 0, count: Hkv * d * keyStride)
      vh.initialize(repeating: 0, count: Hkv * d * keyStride)
      for s in 0..<L {
        for g in 0..<Hkv {
          for x in 0..<d {
            kT[g * d * keyStride + (s / tile) * d * tile + x * tile + s % tile] = k[s * nkv + g * d + x]
          }
        }
      }
      packByKVHead(v, rows: L, kvHeads: Hkv, headDim: d, blockRows: keyStride, into: vh)
      let inputs = AttentionInputs(
        queries: q, keysT: kT, valuesByHead: vh, keys: k, values: v, keyStride: keyStride, heads: H, kvHeads: Hkv,
        headDim: d)
      denseAttention(inputs, length: L, causal: c.causal, tiling: tiling, output: o, ledger: &ledger)
      kPerQuery = (0..<L).map { c.candidateCount(query: $0, length: L) }
    }

    // 6. G1 output gate.
    if usesOutputGate { ledger.add(.gates, applyGate(x, rows: L, weights.wGateO, bias: weights.bGateO, to: o)) }

    // 7. Output projection.
    var output = Matrix(rows: L, cols: D)
    output.storage.withUnsafeMutableBufferPointer { ob in
      ledger.add(.projections, matmul(o, rows: L, weights.wO, bias: nil, into: ob.baseAddress!))
    }
    return ForwardResult(
      output: output, ledger: ledger, kPerQuery: kPerQuery, selected: selected, indexerVariances: variances)
  }
}
