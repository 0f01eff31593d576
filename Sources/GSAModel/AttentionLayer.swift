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
  /// Wall seconds of each bucket's passes (`BucketSeconds`; timing only, the ledger never sees it).
  public var seconds = BucketSeconds()
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

  /// out = x·W (+ b), `rows` rows, into `bucket`: the GEMM's counts and its bytes (x, W and b read
  /// once, out written once).
  func matmul(
    _ x: UnsafePointer<Float>, rows: Int, _ w: Matrix, bias: Matrix?, into out: UnsafeMutablePointer<Float>,
    _ bucket: FlopBucket, _ ledger: inout FlopLedger
  ) {
    let counts = w.storage.withUnsafeBufferPointer { wb in
      if let bias {
        return bias.storage.withUnsafeBufferPointer { bb in
          gemm(x, rows: rows, inner: w.rows, wb.baseAddress!, cols: w.cols, into: out, bias: bb.baseAddress!)
        }
      }
      return gemm(x, rows: rows, inner: w.rows, wb.baseAddress!, cols: w.cols, into: out)
    }
    ledger.add(bucket, counts)
    ledger.addBytes(
      bucket, ByteCounts(read: 4 * (rows * w.rows + w.rows * w.cols + (bias == nil ? 0 : w.cols)), written: 4 * rows * w.cols))
  }

  /// An element-wise gate (G2 on the values, G1 on the attention output, [code]):
  /// target ⊙= σ(x·W + b), `rows × W.cols` floats, into the gates bucket: three passes (the
  /// projection, the sigmoids, the product: reads target and σ, writes target).
  func applyGate(
    _ x: UnsafePointer<Float>, rows: Int, _ w: Matrix, bias: Matrix, to target: UnsafeMutablePointer<Float>,
    _ ledger: inout FlopLedger
  ) {
    let count = rows * w.cols
    let g = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer { g.deallocate() }
    matmul(x, rows: rows, w, bias: bias, into: g, .gates, &ledger)
    sigmoidInPlace(g, count: count, .gates, &ledger)
    for i in 0..<count { target[i] *= g[i] }
    ledger.add(.gates, FlopCounts(flops: count))
    ledger.addBytes(.gates, ByteCounts(read: 8 * count, written: 4 * count))
  }

  /// In-place logistic sigmoid of `count` floats, all through the 8-lane `sigmoidV` (the last < 8
  /// in one padded vector, so a value's σ does not depend on where it sits in the buffer: a decode
  /// step's single row gets the bits a prefill's row gets); counts `count` sigmoids and reads and
  /// writes the buffer once.
  func sigmoidInPlace(_ p: UnsafeMutablePointer<Float>, count: Int, _ bucket: FlopBucket, _ ledger: inout FlopLedger) {
    var i = 0
    while i + 8 <= count {
      storeV(sigmoidV(loadV(p + i)), p + i)
      i += 8
    }
    if i < count {
      var tail = SIMD8<Float>()
      for j in 0..<(count - i) { tail[j] = p[i + j] }
      let result = sigmoidV(tail)
      for j in 0..<(count - i) { p[i + j] = result[j] }
    }
    ledger.add(bucket, FlopCounts(transcendentals: count))
    ledger.addBytes(bucket, ByteCounts(read: 4 * count, written: 4 * count))
  }

  /// x·scale in place over `count` floats: one multiply each, the buffer read and written once.
  func scaleInPlace(
    _ p: UnsafeMutablePointer<Float>, count: Int, by scale: Float, _ bucket: FlopBucket, _ ledger: inout FlopLedger
  ) {
    for i in 0..<count { p[i] *= scale }
    ledger.add(bucket, FlopCounts(flops: count))
    ledger.addBytes(bucket, ByteCounts(read: 4 * count, written: 4 * count))
  }

  /// The indexer's projections of `rows` rows of x: q^I (`paddedRows × H_I·d_I`, zero padding,
  /// times 1/√d_I when on), k^I (`rows × d_I`, row-major) and w = σ(x·W^{Iw} + c)
  /// (`paddedRows × H_I`), all into the indexer bucket.
  func indexerProjections(
    _ x: UnsafePointer<Float>, rows L: Int, paddedRows: Int, _ ledger: inout FlopLedger
  ) -> (queries: UnsafeMutablePointer<Float>, keys: UnsafeMutablePointer<Float>, weights: UnsafeMutablePointer<Float>) {
    let HI = config.indexerHeads, dI = config.indexerDim
    let q = UnsafeMutablePointer<Float>.allocate(capacity: paddedRows * HI * dI)
    q.initialize(repeating: 0, count: paddedRows * HI * dI)
    matmul(x, rows: L, weights.wIQ, bias: nil, into: q, .indexer, &ledger)
    if config.indexerScale {
      scaleInPlace(q, count: L * HI * dI, by: Float(1 / Double(dI).squareRoot()), .indexer, &ledger)
    }
    let k = UnsafeMutablePointer<Float>.allocate(capacity: max(1, L * dI))
    matmul(x, rows: L, weights.wIK, bias: nil, into: k, .indexer, &ledger)
    let w = UnsafeMutablePointer<Float>.allocate(capacity: paddedRows * HI)
    w.initialize(repeating: 0, count: paddedRows * HI)
    matmul(x, rows: L, weights.wIW, bias: weights.bIW, into: w, .indexer, &ledger)
    sigmoidInPlace(w, count: L * HI, .indexer, &ledger)
    return (q, k, w)
  }

  /// q^I (scaled), k^I transposed, w: the indexer bucket's projection work.
  func prepareIndexer(_ x: UnsafePointer<Float>, length L: Int, ledger: inout FlopLedger) -> PreparedIndexer {
    let c = config
    let HI = c.indexerHeads, dI = c.indexerDim
    let rows = roundUp(L, indexerRows)
    let keyStride = roundUp(L, 16)
    let (q, k, w) = indexerProjections(x, rows: L, paddedRows: rows, &ledger)
    defer { k.deallocate() }
    let kT = UnsafeMutablePointer<Float>.allocate(capacity: dI * keyStride)
    kT.initialize(repeating: 0, count: dI * keyStride)
    for s in 0..<L { for j in 0..<dI { kT[(s / 16) * dI * 16 + j * 16 + s % 16] = k[s * dI + j] } }
    let bias = UnsafeMutablePointer<Float>.allocate(capacity: HI)
    for j in 0..<HI { bias[j] = weights.bI.storage[j] }
    let inputs = IndexerInputs(
      queries: q, rows: rows, keysT: kT, keyStride: keyStride, weights: w, bias: bias, heads: HI, dim: dI,
      relu: c.indexerActivation == .relu)
    return PreparedIndexer(inputs: inputs, owned: [q, kT, w, bias])
  }

  /// RoPE cos/sin tables of the positions `first ..< first + count` (`count × ⌊d_h/2⌋` each), from
  /// float64 angles: ⌊d/2⌋ pows, count·⌊d/2⌋ angle products, 2·count·⌊d/2⌋ cos and sin; the tables
  /// are written once (projections bucket).
  func ropeTables(
    first: Int, count: Int, _ ledger: inout FlopLedger
  ) -> (cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>) {
    let tables = Self.ropeTables(first: first, count: count, headDim: config.headDim, base: config.ropeBase)
    let half = config.headDim / 2
    ledger.add(.projections, FlopCounts(flops: count * half, transcendentals: half + 2 * count * half))
    ledger.addBytes(.projections, ByteCounts(written: 4 * 2 * count * half))
    return tables
  }

  /// Rows of the RoPE tables per parallel task: 64 rows of d_h = 64 are 4096 libm cos and sin calls
  /// (about 80 µs on one core, against a region's microseconds).
  public static let ropeRowsPerTask = 64

  /// The RoPE tables alone (see the method): each entry from its own float64 angle, so the bits do
  /// not depend on how the rows are split; rows in tasks of `ropeRowsPerTask` on `workers` threads.
  static func ropeTables(
    first: Int, count: Int, headDim d: Int, base: Double, workers: Int = kernelWorkerCount
  ) -> (cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>) {
    let half = d / 2
    let cosT = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count * half))
    let sinT = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count * half))
    var freqs = [Double](repeating: 0, count: half)
    for i in 0..<half { freqs[i] = Foundation.pow(base, -2 * Double(i) / Double(d)) }
    let pc = SharedPointer(cosT), ps = SharedPointer(sinT)
    freqs.withUnsafeBufferPointer { fb in
      let pf = SharedConstPointer(fb.baseAddress ?? UnsafePointer(bitPattern: 8)!)
      let rows = ropeRowsPerTask
      _ = parallelTasks(taskCount: (count + rows - 1) / rows, workers: workers) { _, task, _ in
        for r in (task * rows)..<min(count, (task + 1) * rows) {
          for i in 0..<half {
            let angle = Double(first + r) * pf[i]
            pc[r * half + i] = Float(Foundation.cos(angle))
            ps[r * half + i] = Float(Foundation.sin(angle))
          }
        }
      }
    }
    return (cosT, sinT)
  }

  /// RoPE on `heads` heads of each row of `p` (row stride heads·d): row r takes table row r, or
  /// row 0 for every row when `sharedPosition` (a decode step's batch, one position). Reads and
  /// writes the 2⌊d/2⌋ rotated components of each head and reads the tables once.
  func applyRope(
    _ p: UnsafeMutablePointer<Float>, rows L: Int, heads: Int, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
    sharedPosition: Bool = false, _ ledger: inout FlopLedger
  ) {
    let d = config.headDim, half = d / 2
    for t in 0..<L {
      let table = sharedPosition ? 0 : t
      for h in 0..<heads {
        let base = p + t * heads * d + h * d
        for i in 0..<half {
          let c = cos[table * half + i], s = sin[table * half + i]
          let a = base[i], b = base[i + half]
          base[i] = a * c - b * s
          base[i + half] = b * c + a * s
        }
      }
    }
    let rotated = L * heads * 2 * half
    ledger.add(.projections, FlopCounts(flops: 3 * rotated))
    ledger.addBytes(.projections, ByteCounts(read: 4 * (rotated + 2 * (sharedPosition ? 1 : L) * half), written: 4 * rotated))
  }

  private func run(_ x: UnsafePointer<Float>, length L: Int, options: ForwardOptions) -> ForwardResult {
    let c = config
    let H = c.heads, Hkv = c.kvHeads, d = c.headDim, D = c.modelDim
    let nq = H * d, nkv = Hkv * d
    var ledger = FlopLedger()
    var clock = PhaseClock()
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
    matmul(x, rows: L, weights.wQ, bias: nil, into: q, .projections, &ledger)
    matmul(x, rows: L, weights.wK, bias: nil, into: k, .projections, &ledger)
    matmul(x, rows: L, weights.wV, bias: nil, into: v, .projections, &ledger)

    // 2. RoPE: cos/sin tables in float64 (d/2 pow, L·d/2 angle products, L·d cos+sin).
    let (cosT, sinT) = ropeTables(first: 0, count: L, &ledger)
    defer {
      cosT.deallocate()
      sinT.deallocate()
    }
    applyRope(q, rows: L, heads: H, cos: cosT, sin: sinT, &ledger)
    applyRope(k, rows: L, heads: Hkv, cos: cosT, sin: sinT, &ledger)
    clock.lap(.projections)

    // 3. Scale queries by 1/√d_h (attention bucket).
    scaleInPlace(q, count: L * nq, by: Float(1 / Double(d).squareRoot()), .attention, &ledger)
    clock.lap(.attention)

    // 4. G2 value gate.
    if usesValueGate { applyGate(x, rows: L, weights.wGateV, bias: weights.bGateV, to: v, &ledger) }
    clock.lap(.gates)

    // 5. Attention core.
    let o = UnsafeMutablePointer<Float>.allocate(capacity: L * nq)
    defer { o.deallocate() }
    var kPerQuery: [Int]
    var selected: [[Int]]? = nil
    var variances: [Double] = []
    if variant.isSparse {
      let prepared = prepareIndexer(x, length: L, ledger: &ledger)
      clock.lap(.indexer)
      let selection = indexAndSelect(prepared.inputs, length: L, config: c, tiling: tiling, ledger: &ledger)
      prepared.deallocate()
      clock.lap(.indexer, .selection, firstSeconds: selection.scoreSeconds)
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
    clock.lap(.attention)

    // 6. G1 output gate.
    if usesOutputGate { applyGate(x, rows: L, weights.wGateO, bias: weights.bGateO, to: o, &ledger) }
    clock.lap(.gates)

    // 7. Output projection.
    var output = Matrix(rows: L, cols: D)
    output.storage.withUnsafeMutableBufferPointer { ob in
      matmul(o, rows: L, weights.wO, bias: nil, into: ob.baseAddress!, .projections, &ledger)
    }
    clock.lap(.projections)
    return ForwardResult(
      output: output, ledger: ledger, kPerQuery: kPerQuery, selected: selected, indexerVariances: variances,
      seconds: clock.seconds)
  }
}
