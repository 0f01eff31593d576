import Foundation

/// The state a decode step reads, for a batch of B sequences of equal length L: per sequence and
/// kv head the keys (RoPE applied) and values (after G2 when on), and for the sparse variants the
/// indexer key k^I of every token and, under the adaptive rules, every earlier query's row
/// statistics.
///
/// Layout (float32, capacity C tokens per sequence, zero beyond the length):
/// - `keys`, `values`: sequence b, kv head g, token s: d_h floats at ((b·H_kv + g)·C + s)·d_h,
///   contiguous per (sequence, kv head), the rows a core streams or gathers;
/// - `indexerKeys`: sequence b's keys in chunks of 16 tokens, chunk τ a d_I × 16 block at
///   (b·⌈C⌉₁₆/16 + τ)·16·d_I, element (x, c) at x·16 + c (the prefill indexer's layout), stored
///   times −log2 e for the sigmoid indexer (`IndexerInputs`);
/// - `rowSums` (code rule): each query's (Σ_s I_{t,s}, Σ_s I_{t,s}²) over its t + 1 candidates, from
///   which a step recomputes every row variance at the new N = t + 1, as a prefill of t + 1 tokens
///   takes it; `rowVariances` (figure rule): each query's variance over its own candidates, which
///   does not change with L.
///
/// Memory: B·C·(2·H_kv·d_h + d_I) floats, 16 or 8 bytes per token for the adaptive rules'
/// statistics, plus per-worker step scratch (score rows, top-k scratch) of O(C).
/// `KVCache.bytes(config:variant:batch:capacity:)` gives the total.
public final class KVCache {
  public let config: LayerConfig
  public let variant: Variant
  public let batch: Int
  public let capacity: Int
  /// Tokens held per sequence.
  public internal(set) var length = 0

  let keys: UnsafeMutablePointer<Float>
  let values: UnsafeMutablePointer<Float>
  let indexerKeys: UnsafeMutablePointer<Float>?
  let rowSums: UnsafeMutablePointer<SIMD2<Double>>?
  let rowVariances: UnsafeMutablePointer<Double>?
  let scratch: DecodeScratch

  /// Floats per (sequence, kv head) block of `keys` / `values`.
  var blockFloats: Int { capacity * config.headDim }
  /// Floats per sequence of `indexerKeys`.
  var indexerFloats: Int { roundUp(capacity, 16) * config.indexerDim }

  /// An empty cache for `batch` sequences of up to `capacity` tokens.
  public init(config: LayerConfig, variant: Variant, batch: Int, capacity: Int) throws(ConfigError) {
    let c = try config.validated()
    guard c.causal else {
      throw ConfigError(field: "causal", message: "decoding needs a causal layer; turn causal masking on")
    }
    guard batch >= 1 else { throw ConfigError(field: "batch", message: "batch \(batch) must be at least 1") }
    guard capacity >= 1, capacity <= LayerConfig.maximumLength else {
      throw ConfigError(field: "length", message: "capacity \(capacity) is outside 1...\(LayerConfig.maximumLength)")
    }
    self.config = c
    self.variant = variant
    self.batch = batch
    self.capacity = capacity
    let floats = batch * c.kvHeads * capacity * c.headDim
    keys = allocateAligned(max(1, floats))
    keys.initialize(repeating: 0, count: max(1, floats))
    values = allocateAligned(max(1, floats))
    values.initialize(repeating: 0, count: max(1, floats))
    if variant.isSparse {
      let n = batch * roundUp(capacity, 16) * c.indexerDim
      let p = allocateAligned(max(1, n))
      p.initialize(repeating: 0, count: max(1, n))
      indexerKeys = p
    } else {
      indexerKeys = nil
    }
    if variant.isSparse && c.kRule == .code {
      rowSums = .allocate(capacity: batch * capacity)
    } else {
      rowSums = nil
    }
    if variant.isSparse && c.kRule == .figure {
      rowVariances = .allocate(capacity: batch * capacity)
    } else {
      rowVariances = nil
    }
    scratch = DecodeScratch(config: c, variant: variant, batch: batch, capacity: capacity)
  }

  deinit {
    keys.deallocate()
    values.deallocate()
    indexerKeys?.deallocate()
    rowSums?.deallocate()
    rowVariances?.deallocate()
    scratch.deallocate()
  }

  /// Drops the tokens past `newLength` (0 ≤ newLength ≤ length): the next step appends at
  /// `newLength` again, overwriting what was there (a timed step can be repeated at one length).
  public func truncate(to newLength: Int) {
    precondition(newLength >= 0 && newLength <= length, "truncate within 0...length")
    length = newLength
  }

  /// Bytes a cache of this shape allocates (the tensors above and the step scratch).
  public static func bytes(config c: LayerConfig, variant: Variant, batch B: Int, capacity C: Int) -> Int {
    let f = 4
    var total = 2 * KernelBuffers.alignedBytes(floats: B * c.kvHeads * C * c.headDim)
    if variant.isSparse {
      total += KernelBuffers.alignedBytes(floats: B * roundUp(C, 16) * c.indexerDim)
      if c.kRule == .code { total += 16 * B * C }
      if c.kRule == .figure { total += 8 * B * C }
    }
    return total + f * DecodeScratch.floats(config: c, variant: variant, batch: B, capacity: C)
  }

  /// Bytes the cache's tensors hold for `length` tokens per sequence (K, V, k^I and the row
  /// statistics): what a decode step could read, e.g. against the caches' sizes.
  public static func heldBytes(
    config c: LayerConfig, variant: Variant, batch B: Int, length L: Int, elementBytes e: Int = 4
  )
    -> Int
  {
    var perToken = e * 2 * c.kvHeads * c.headDim
    if variant.isSparse {
      perToken += e * c.indexerDim + (c.kRule == .code ? 16 : c.kRule == .figure ? 8 : 0)
    }
    return B * L * perToken
  }
}

/// Per-step working memory of a `KVCache`, sized for its capacity once (a step allocates nothing
/// of O(L)): per worker the attention scratch and top-k scratch, per sequence a score row, the
/// stage-1 kept scores and the selections, and for a split selection (`DecodeSelectionSplit`) the
/// ranges' winners (indices and scores, at most n of each), the row's (Σ I, Σ I²) and the
/// variance mean's chunk sums.
final class DecodeScratch {
  let workers: Int
  let attentionFloats: Int
  let attention: UnsafeMutablePointer<Float>
  let scoreStride: Int
  let scores: UnsafeMutablePointer<Float>
  let topKInt32s: Int
  let topK: UnsafeMutablePointer<Int32>
  let selectionStride: Int
  let selections: UnsafeMutablePointer<Int32>
  let kept: UnsafeMutablePointer<Float>
  let positions: UnsafeMutablePointer<Int32>
  let winners: UnsafeMutablePointer<Int32>
  let winnerScores: UnsafeMutablePointer<Float>
  let rowTotals: UnsafeMutablePointer<SIMD2<Double>>
  let chunkStride: Int
  let chunkSums: UnsafeMutablePointer<Double>

  let partials: UnsafeMutablePointer<Float>

  /// Per worker: the sparse core's score rows over up to k_max keys, or the dense core's block scores.
  static func attentionFloats(config c: LayerConfig, variant: Variant, capacity C: Int) -> Int {
    let G = c.heads / c.kvHeads
    guard variant.isSparse else { return DenseDecode.scratchFloats(heads: G) }
    return attendQueryScratchFloats(heads: G, keys: min(C, c.kRule == .fixed ? c.kBase : c.kMax))
  }

  /// The dense core's part states: every (sequence, kv head, part) at the capacity.
  static func partialFloats(config c: LayerConfig, variant: Variant, batch B: Int, capacity C: Int) -> Int {
    variant.isSparse
      ? 0
      : B * c.kvHeads * DenseDecode.parts(rows: C) * DenseDecode.partialFloats(heads: c.heads / c.kvHeads, headDim: c.headDim)
  }

  static func floats(config c: LayerConfig, variant: Variant, batch B: Int, capacity C: Int) -> Int {
    let workers = kernelWorkerCount
    var floats = workers * attentionFloats(config: c, variant: variant, capacity: C)
    floats += partialFloats(config: c, variant: variant, batch: B, capacity: C)
    if variant.isSparse {
      let cap = min(C, c.kRule == .fixed ? c.kBase : c.kMax)
      floats += B * (roundUp(C, 16) + 16)  // score rows
      floats += workers * TopK.scratchSize(candidates: C)  // Int32, same size
      floats += 3 * B * cap  // selections, kept scores, positions
      floats += 2 * B * C  // split selection: the ranges' winners and their scores
      floats += 2 * B * (2 + chunkStride(capacity: C))  // per sequence (Σ I, Σ I²) and the chunk sums (float64)
    }
    return floats
  }

  /// Chunks of `varianceMeanChunk` variances in C.
  static func chunkStride(capacity C: Int) -> Int { (C + varianceMeanChunk - 1) / varianceMeanChunk }

  init(config c: LayerConfig, variant: Variant, batch B: Int, capacity C: Int) {
    workers = kernelWorkerCount
    attentionFloats = Self.attentionFloats(config: c, variant: variant, capacity: C)
    attention = allocateAligned(max(1, workers * attentionFloats))
    partials = allocateAligned(max(1, Self.partialFloats(config: c, variant: variant, batch: B, capacity: C)))
    let sparse = variant.isSparse
    let cap = min(C, c.kRule == .fixed ? c.kBase : c.kMax)
    scoreStride = roundUp(C, 16) + 16
    scores = allocateAligned(sparse ? B * scoreStride : 1)
    topKInt32s = TopK.scratchSize(candidates: C)
    topK = .allocate(capacity: sparse ? workers * topKInt32s : 1)
    selectionStride = max(1, cap)
    selections = .allocate(capacity: sparse ? B * selectionStride : 1)
    kept = .allocate(capacity: sparse ? B * selectionStride : 1)
    positions = .allocate(capacity: sparse ? B * selectionStride : 1)
    winners = .allocate(capacity: sparse ? B * C : 1)
    winnerScores = .allocate(capacity: sparse ? B * C : 1)
    rowTotals = .allocate(capacity: sparse ? B : 1)
    chunkStride = Self.chunkStride(capacity: C)
    chunkSums = .allocate(capacity: sparse ? B * chunkStride : 1)
  }

  func deallocate() {
    attention.deallocate()
    partials.deallocate()
    scores.deallocate()
    topK.deallocate()
    selections.deallocate()
    kept.deallocate()
    positions.deallocate()
    winners.deallocate()
    winnerScores.deallocate()
    rowTotals.deallocate()
    chunkSums.deallocate()
  }
}

/// The result of `AttentionLayer.decodeStep`.
public struct DecodeResult: Sendable {
  /// u of the new tokens, B × D.
  public var output: Matrix
  /// What the kernels counted for the step.
  public var ledger: FlopLedger
  /// Keys each new token attended to: k_t for sparse variants, L + 1 for dense ones.
  public var kPerSequence: [Int]
  /// S_t of each sequence's new token (ascending), when `ForwardOptions.recordSelection` and the
  /// variant is sparse.
  public var selected: [[Int]]?
  /// Var_t of each new token's indexer row and the V̄ it was compared with (adaptive rules).
  public var variances: [Double]
  public var meanVariances: [Double]
  /// Wall seconds of each bucket's passes (`BucketSeconds`; timing only, the ledger never sees it).
  public var seconds = BucketSeconds()
  /// Parallel regions each bucket's passes opened (`AttentionLayer.decodeParallelRegions`).
  public var parallelRegions = PerBucket<Int>()
}

extension AttentionLayer {
  /// An empty KV cache for this layer.
  public func makeCache(batch: Int, capacity: Int) throws(ConfigError) -> KVCache {
    try KVCache(config: config, variant: variant, batch: batch, capacity: capacity)
  }

  /// Prefill: the forward pass of each sequence (B inputs of equal length L, each L × D) and a
  /// cache holding them, with room for `capacity` tokens.
  public func prefill(
    _ inputs: [Matrix], capacity: Int, options: ForwardOptions = ForwardOptions()
  ) throws(ConfigError)
    -> (results: [ForwardResult], cache: KVCache)
  {
    let cache = try makeCache(batch: inputs.count, capacity: capacity)
    var results = [ForwardResult]()
    for x in inputs { results.append(try forward(x, options: options)) }
    try append(inputs, to: cache)
    return (results, cache)
  }

  /// Appends the next c tokens of every sequence (`chunks[b]`, c × D, equal c) to the cache:
  /// their keys (RoPE at positions L ..< L + c), values (G2 when on) and indexer keys, and under the
  /// adaptive rules their indexer rows' statistics (the chunk's queries scored against every
  /// cached key, as a prefill scores them). The attention cores do not run: a single layer's
  /// cache does not depend on them, so long contexts fill in O(L·D·(H_kv·d_h + d_I)) (and the
  /// adaptive rules' O(L²·H_I·d_I) scores) without the O(L²·D) dense core.
  public func append(_ chunks: [Matrix], to cache: KVCache) throws(ConfigError) {
    guard cache.config == config, cache.variant == variant else {
      throw ConfigError(field: "cache", message: "the cache was made for another layer; make it with this layer's makeCache")
    }
    guard chunks.count == cache.batch else {
      throw ConfigError(field: "batch", message: "\(chunks.count) chunks for a cache of \(cache.batch) sequences")
    }
    guard let c0 = chunks.first?.rows, chunks.allSatisfy({ $0.rows == c0 && $0.cols == config.modelDim }) else {
      throw ConfigError(field: "input", message: "every chunk must be c × D with the same c (D = \(config.modelDim))")
    }
    guard cache.length + c0 <= cache.capacity else {
      throw ConfigError(
        field: "length", message: "the cache holds \(cache.capacity) tokens; \(cache.length) + \(c0) do not fit")
    }
    guard c0 > 0 else { return }
    var ledger = FlopLedger()
    for (b, chunk) in chunks.enumerated() {
      chunk.storage.withUnsafeBufferPointer { xb in
        appendChunk(xb.baseAddress!, rows: c0, sequence: b, to: cache, &ledger)
      }
    }
    cache.length += c0
  }

  private func appendChunk(
    _ x: UnsafePointer<Float>, rows n: Int, sequence b: Int, to cache: KVCache, _ ledger: inout FlopLedger
  ) {
    let c = config
    let Hkv = c.kvHeads, d = c.headDim, nkv = Hkv * d
    let L0 = cache.length
    let k = UnsafeMutablePointer<Float>.allocate(capacity: n * nkv)
    let v = UnsafeMutablePointer<Float>.allocate(capacity: n * nkv)
    defer {
      k.deallocate()
      v.deallocate()
    }
    matmul(x, rows: n, weights.wK, bias: nil, into: k, .projections, &ledger)
    matmul(x, rows: n, weights.wV, bias: nil, into: v, .projections, &ledger)
    let (cosT, sinT) = ropeTables(first: L0, count: n, &ledger)
    applyRope(k, rows: n, heads: Hkv, cos: cosT, sin: sinT, &ledger)
    cosT.deallocate()
    sinT.deallocate()
    if usesValueGate { applyGate(x, rows: n, weights.wGateV, bias: weights.bGateV, to: v, &ledger) }
    for g in 0..<Hkv {
      let block = (b * Hkv + g) * cache.blockFloats
      for r in 0..<n {
        (cache.keys + block + (L0 + r) * d).update(from: k + r * nkv + g * d, count: d)
        (cache.values + block + (L0 + r) * d).update(from: v + r * nkv + g * d, count: d)
      }
    }
    guard variant.isSparse, let kT = cache.indexerKeys else { return }
    let HI = c.indexerHeads, dI = c.indexerDim
    let rows = roundUp(n, indexerRows)
    let (qI, kI, w) = indexerProjections(x, rows: n, paddedRows: rows, &ledger)
    defer {
      qI.deallocate()
      kI.deallocate()
      w.deallocate()
    }
    let sequenceKeys = kT + b * cache.indexerFloats
    storeIndexerKeys(kI, rows: n, at: L0, into: sequenceKeys)
    guard c.kRule != .fixed else { return }
    // The chunk's queries L0 ..< L0 + n scored against keys 0 ... t: the prefill's kernel, row groups
    // of 6 over the chunk (its rows padded with zero queries), each query's (Σ I, Σ I²).
    let bias = indexerStoredBias()
    defer { bias.deallocate() }
    let length = L0 + n
    let inputs = IndexerInputs(
      storedQueries: qI, firstRow: L0, keysT: sequenceKeys, keyStride: roundUp(cache.capacity, 16), weights: w,
      bias: bias, heads: HI, dim: dI, relu: c.indexerActivation == .relu)
    let block = 12
    let stride = roundUp(length, 16) + 16
    let blocks = (n + block - 1) / block
    let workers = min(kernelWorkerCount, blocks)
    let buffers = UnsafeMutablePointer<Float>.allocate(capacity: workers * block * stride)
    defer { buffers.deallocate() }
    let pBuffers = SharedPointer(buffers)
    let box = UncheckedBox(inputs)
    let sums = cache.rowSums.map { SharedPointer($0 + b * cache.capacity) }
    let variances = cache.rowVariances.map { SharedPointer($0 + b * cache.capacity) }
    _ = parallelTasks(taskCount: blocks, workers: workers) { worker, task, _ in
      let t0 = L0 + task * block, t1 = min(length, t0 + block)
      let buffer = pBuffers.base + worker * block * stride
      _ = scoreQueryBlock(
        box.value, t0: t0, rows: roundUp(t1 - t0, indexerRows), length: length, causal: true, into: buffer,
        bufferStride: stride)
      for t in t0..<t1 {
        let (sum, squares) = sumAndSumOfSquares(UnsafePointer(buffer + (t - t0) * stride), count: t + 1)
        sums?[t] = SIMD2(sum, squares)
        variances?[t] = RowVarianceScale(entries: t + 1).variance(sum: sum, sumOfSquares: squares)
      }
    }
  }

  /// b_j as the indexer kernel takes them (times −log2 e for the sigmoid), H_I floats.
  func indexerStoredBias() -> UnsafeMutablePointer<Float> {
    let HI = config.indexerHeads
    let bias = UnsafeMutablePointer<Float>.allocate(capacity: HI)
    let sigmoid = config.indexerActivation == .sigmoid
    for j in 0..<HI { bias[j] = sigmoid ? weights.bI.storage[j] * IndexerInputs.sigmoidKeyScale : weights.bI.storage[j] }
    return bias
  }

  /// Writes `rows` indexer keys (row-major, d_I floats each) for tokens `first ..< first + rows`
  /// into a sequence's chunked key block (times −log2 e for the sigmoid, as `IndexerInputs`).
  func storeIndexerKeys(_ k: UnsafePointer<Float>, rows: Int, at first: Int, into block: UnsafeMutablePointer<Float>) {
    let dI = config.indexerDim
    let sigmoid = config.indexerActivation == .sigmoid
    for r in 0..<rows {
      let s = first + r
      for j in 0..<dI {
        let value = k[r * dI + j]
        block[(s / 16) * dI * 16 + j * 16 + s % 16] = sigmoid ? value * IndexerInputs.sigmoidKeyScale : value
      }
    }
  }

  /// One decode step: appends token L (the rows of `x`, B × D, one per sequence) to every
  /// sequence of the cache and computes its output over the L + 1 cached keys:
  /// - dense, gated-only: softmax attention over every cached key (G1/G2 when gated);
  /// - sparse-only, gsa: the new query's indexer scores against every cached indexer key, top-k_t
  ///   under the layer's rule (the same two-stage selection as prefill), softmax attention over the
  ///   selected rows, the gates when on.
  ///
  /// The adaptive rules' V̄ is the mean over the sequence's queries 0 ... L of their row variances,
  /// each taken as a prefill of L + 1 tokens takes it (code rule: masked entries as zeros, N = L + 1,
  /// recomputed from the cached row sums; figure rule: N = n_t, cached). Each sequence is its own
  /// prefill (the toolkit's forward pass runs one sequence): the reference's mean over the batch
  /// would mix the B sequences. So decoding token t after a prefill of t tokens gives the prefill
  /// output of t + 1 tokens at position t, with the same S_t and k_t.
  ///
  /// Work is parallel over sequences and kv heads (scores over sequences and key ranges; the
  /// selection, when L is long, over ranges of candidates too:
  /// `DecodeSelectionSplit`). Counts and bytes: `CostModel.decodeLedger`.
  public func decodeStep(
    _ x: Matrix, cache: KVCache, options: ForwardOptions = ForwardOptions()
  ) throws(ConfigError)
    -> DecodeResult
  {
    try decodeStep(x, cache: cache, options: options, selectionSplit: .standard)
  }

  /// `decodeStep` with the selection's range split given (tests force it at small n).
  func decodeStep(
    _ x: Matrix, cache: KVCache, options: ForwardOptions, selectionSplit: DecodeSelectionSplit
  ) throws(ConfigError) -> DecodeResult {
    guard cache.config == config, cache.variant == variant else {
      throw ConfigError(field: "cache", message: "the cache was made for another layer; make it with this layer's makeCache")
    }
    guard x.rows == cache.batch, x.cols == config.modelDim else {
      throw ConfigError(
        field: "input",
        message: "decode input is \(x.rows) × \(x.cols); it must be \(cache.batch) × \(config.modelDim) (one row per sequence)")
    }
    guard cache.length < cache.capacity else {
      throw ConfigError(field: "length", message: "the cache is full (\(cache.capacity) tokens); make a larger cache")
    }
    return x.storage.withUnsafeBufferPointer { xb in
      step(xb.baseAddress!, cache: cache, options: options, selectionSplit: selectionSplit)
    }
  }

  private func step(
    _ x: UnsafePointer<Float>, cache: KVCache, options: ForwardOptions, selectionSplit: DecodeSelectionSplit
  ) -> DecodeResult {
    let c = config
    let B = cache.batch, L = cache.length, n = L + 1
    let H = c.heads, Hkv = c.kvHeads, d = c.headDim, D = c.modelDim
    let nq = H * d, nkv = Hkv * d, G = H / Hkv
    var ledger = FlopLedger()
    var clock = PhaseClock()

    // Projections of the B new tokens, RoPE at position L (one table row for the batch).
    let q = UnsafeMutablePointer<Float>.allocate(capacity: B * nq)
    let k = UnsafeMutablePointer<Float>.allocate(capacity: B * nkv)
    let v = UnsafeMutablePointer<Float>.allocate(capacity: B * nkv)
    let o = UnsafeMutablePointer<Float>.allocate(capacity: B * nq)
    defer {
      q.deallocate()
      k.deallocate()
      v.deallocate()
      o.deallocate()
    }
    matmul(x, rows: B, weights.wQ, bias: nil, into: q, .projections, &ledger)
    matmul(x, rows: B, weights.wK, bias: nil, into: k, .projections, &ledger)
    matmul(x, rows: B, weights.wV, bias: nil, into: v, .projections, &ledger)
    let (cosT, sinT) = ropeTables(first: L, count: 1, &ledger)
    applyRope(q, rows: B, heads: H, cos: cosT, sin: sinT, sharedPosition: true, &ledger)
    applyRope(k, rows: B, heads: Hkv, cos: cosT, sin: sinT, sharedPosition: true, &ledger)
    cosT.deallocate()
    sinT.deallocate()
    clock.lap(.projections)
    scaleInPlace(q, count: B * nq, by: Float(1 / Double(d).squareRoot()), .attention, &ledger)
    clock.lap(.attention)
    if usesValueGate { applyGate(x, rows: B, weights.wGateV, bias: weights.bGateV, to: v, &ledger) }
    clock.lap(.gates)

    // Append the new K and V' rows.
    for b in 0..<B {
      for g in 0..<Hkv {
        let block = (b * Hkv + g) * cache.blockFloats
        (cache.keys + block + L * d).update(from: k + b * nkv + g * d, count: d)
        (cache.values + block + L * d).update(from: v + b * nkv + g * d, count: d)
      }
    }
    ledger.addBytes(.attention, ByteCounts(read: 4 * 2 * B * nkv, written: 4 * 2 * B * nkv))
    clock.lap(.attention)

    // Selection (sparse variants) or every cached key (dense ones).
    var kPerSequence = [Int](repeating: n, count: B)
    var selected: [[Int]]? = nil
    var variances: [Double] = []
    var means: [Double] = []
    let scratch = cache.scratch
    if variant.isSparse {
      let selection = selectForDecode(x, cache: cache, selectionSplit: selectionSplit, &ledger, &clock)
      kPerSequence = selection.counts
      variances = selection.variances
      means = selection.means
      if options.recordSelection {
        selected = (0..<B).map { b in
          (0..<kPerSequence[b]).map { Int(scratch.selections[b * scratch.selectionStride + $0]) }
        }
      }
    }

    // Attention core. Sparse: tasks over (sequence, kv head), each over its selection. Dense: tasks over
    // (sequence, kv head, part of `DenseDecode.splitRows` rows), each streaming its rows of K and V,
    // then the parts' states combined per (sequence, kv head).
    let sparse = variant.isSparse
    let pq = SharedConstPointer(q), po = SharedPointer(o)
    let pK = SharedConstPointer(cache.keys), pV = SharedConstPointer(cache.values)
    let pAttention = SharedPointer(scratch.attention)
    let pSelections = SharedConstPointer(scratch.selections)
    let selectionStride = scratch.selectionStride
    let counts = kPerSequence
    let blockFloats = cache.blockFloats, attentionFloats = scratch.attentionFloats
    let parts = sparse ? 1 : DenseDecode.parts(rows: n)
    let partialFloats = DenseDecode.partialFloats(heads: G, headDim: d)
    let pPartials = SharedPointer(scratch.partials)
    let core = parallelTasks(taskCount: B * Hkv * parts, workers: min(kernelWorkerCount, scratch.workers)) {
      worker, task, ledger in
      let b = task / (Hkv * parts), g = task / parts % Hkv, part = task % parts
      let block = (b * Hkv + g) * blockFloats
      let query = pq.base + b * nq + g * G * d
      if sparse {
        attendQuery(
          query, heads: G, keys: pK.base + block, values: pV.base + block, headDim: d,
          selected: pSelections.base + b * selectionStride, count: counts[b],
          scratch: pAttention.base + worker * attentionFloats, output: po.base + b * nq + g * G * d)
      } else {
        let first = part * DenseDecode.splitRows
        denseDecodePart(
          query, heads: G, keys: pK.base + block + first * d, values: pV.base + block + first * d, headDim: d,
          rows: min(n, first + DenseDecode.splitRows) - first, scores: pAttention.base + worker * attentionFloats,
          partial: pPartials.base + task * partialFloats)
      }
      guard part == 0 else { return }
      ledger.add(.attention, softmaxRowCounts(keys: counts[b], headDim: d).times(G))
      let queryBytes = 4 * G * d
      let rows = 4 * 2 * d * counts[b]
      ledger.addBytes(
        .attention,
        ByteCounts(
          read: queryBytes + rows + (sparse && g == 0 ? 4 * counts[b] : 0), written: queryBytes,
          gathered: sparse ? rows : 0))
    }
    if !sparse {
      for bg in 0..<(B * Hkv) {
        combineDenseDecodeParts(
          scratch.partials + bg * parts * partialFloats, count: parts, partialStride: partialFloats, heads: G, headDim: d,
          output: o + bg * G * d)
      }
    }
    ledger += core
    cache.length += 1
    clock.lap(.attention)

    if usesOutputGate { applyGate(x, rows: B, weights.wGateO, bias: weights.bGateO, to: o, &ledger) }
    clock.lap(.gates)
    var output = Matrix(rows: B, cols: D)
    output.storage.withUnsafeMutableBufferPointer { ob in
      matmul(o, rows: B, weights.wO, bias: nil, into: ob.baseAddress!, .projections, &ledger)
    }
    clock.lap(.projections)
    return DecodeResult(
      output: output, ledger: ledger, kPerSequence: kPerSequence, selected: selected, variances: variances,
      meanVariances: means, seconds: clock.seconds, parallelRegions: clock.regions)
  }

  /// The new tokens' indexer projections, their keys appended to the cache, their scores against
  /// the L + 1 cached keys and their selections (into the cache's scratch).
  private func selectForDecode(
    _ x: UnsafePointer<Float>, cache: KVCache, selectionSplit: DecodeSelectionSplit, _ ledger: inout FlopLedger,
    _ clock: inout PhaseClock
  ) -> (counts: [Int], variances: [Double], means: [Double]) {
    let c = config
    let B = cache.batch, L = cache.length, n = L + 1
    let HI = c.indexerHeads, dI = c.indexerDim
    let scratch = cache.scratch
    let (qI, kI, w) = indexerProjections(x, rows: B, paddedRows: B, &ledger)
    defer {
      qI.deallocate()
      kI.deallocate()
      w.deallocate()
    }
    for b in 0..<B { storeIndexerKeys(kI + b * dI, rows: 1, at: L, into: cache.indexerKeys! + b * cache.indexerFloats) }
    ledger.addBytes(.indexer, ByteCounts(read: 4 * B * dI, written: 4 * B * dI))
    let bias = indexerStoredBias()
    defer { bias.deallocate() }

    // Scores: tasks over (sequence, range of 16-key chunks), so one sequence uses every core.
    let (chunks, chunksPerTask, ranges) = decodeScoreSplit(candidates: n)
    let pq = SharedConstPointer(qI), pw = SharedConstPointer(w), pb = SharedConstPointer(bias)
    let pKeys = SharedConstPointer(cache.indexerKeys!), pScores = SharedPointer(scratch.scores)
    let indexerFloats = cache.indexerFloats, scoreStride = scratch.scoreStride
    let relu = c.indexerActivation == .relu
    ledger += parallelTasks(taskCount: B * ranges) { _, task, ledger in
      let b = task / ranges, r = task % ranges
      let first = r * chunksPerTask, last = min(chunks, first + chunksPerTask)
      scoreDecodeRow(
        pq.base + b * HI * dI, weights: pw.base + b * HI, bias: pb.base, heads: HI, dim: dI, relu: relu,
        keys: pKeys.base + b * indexerFloats, chunks: first..<last, into: pScores.base + b * scoreStride)
      ledger.addExecuted(.indexer, indexerPairCounts(heads: HI, dim: dI, relu: relu).times(16 * (last - first)))
    }
    ledger.addUseful(.indexer, indexerPairCounts(heads: HI, dim: dI, relu: relu).times(B * n))
    ledger.addBytes(.indexer, ByteCounts(read: 4 * (B * (HI * dI + HI + n * dI) + HI), written: 4 * B * n))
    clock.lap(.indexer)

    // Selection. Split (`DecodeSelectionSplit`): first tasks over (sequence, range), each a top-cap
    // of its range and the variance mean's chunk sums starting in it, plus under the adaptive rules
    // one task per sequence for the new row's (Σ I, Σ I²); then per sequence the top-cap of the
    // rangeCount' winners, V̄ and stage 2. Otherwise one task per sequence does it all.
    let adaptive = c.kRule != .fixed
    let cap = min(adaptive ? c.kMax : c.kBase, n)
    let split = selectionSplit.splits(candidates: n)
    let rangeSize = selectionSplit.rangeSize
    let rangeCount = selectionSplit.rangeCount(candidates: n)
    // Winners of each full range, and of the last one; m of them in all.
    let fullWinners = min(cap, rangeSize), lastWinners = min(cap, n - (rangeCount - 1) * rangeSize)
    let winnerCount = (rangeCount - 1) * fullWinners + lastWinners
    // Chunks of the variance mean: all but the last (which holds row L) are summed before row L's
    // statistics exist.
    let chunkCount = (n + varianceMeanChunk - 1) / varianceMeanChunk
    var counts = [Int](repeating: 0, count: B)
    var variances = [Double](repeating: 0, count: adaptive ? B : 0)
    var means = [Double](repeating: 0, count: adaptive ? B : 0)
    let pSums = cache.rowSums.map { SharedPointer($0) }
    let pVariances = cache.rowVariances.map { SharedPointer($0) }
    let capacity = cache.capacity
    let pTopK = SharedPointer(scratch.topK), pSel = SharedPointer(scratch.selections)
    let pKept = SharedPointer(scratch.kept), pPositions = SharedPointer(scratch.positions)
    let pWinners = SharedPointer(scratch.winners), pWinnerScores = SharedPointer(scratch.winnerScores)
    let pTotals = SharedPointer(scratch.rowTotals), pChunkSums = SharedPointer(scratch.chunkSums)
    let selectionStride = scratch.selectionStride, topKInt32s = scratch.topKInt32s, chunkStride = scratch.chunkStride
    let codeScale = RowVarianceScale(entries: n)
    // The chunk sums of the chunks j0 ..< j1 of sequence b's variances at this step.
    func sumChunks(_ b: Int, _ j0: Int, _ j1: Int) {
      for j in j0..<j1 {
        let first = j * varianceMeanChunk, m = min(varianceMeanChunk, n - first)
        if let sums = pSums {
          pChunkSums[b * chunkStride + j] = codeRuleChunkVarianceSum(
            UnsafePointer(sums.base + b * capacity), scale: codeScale, first: first, count: m)
        } else {
          pChunkSums[b * chunkStride + j] = chunkVarianceSum(
            UnsafePointer(pVariances!.base + b * capacity), first: first, count: m)
        }
      }
    }
    if split {
      let extra = adaptive ? 1 : 0
      let tasksPerSequence = rangeCount + extra
      ledger += parallelTasks(taskCount: selectionSplit.candidateTasks(candidates: n, batch: B, adaptive: adaptive)) {
        worker, task, ledger in
        let b = task / tasksPerSequence, r = task % tasksPerSequence - extra
        let row = pScores.base + b * scoreStride
        if r < 0 {
          let (sum, squares) = sumAndSumOfSquares(UnsafePointer(row), count: n)
          pTotals[b] = SIMD2(sum, squares)
          return
        }
        let first = r * rangeSize, size = min(rangeSize, n - first)
        let winners = pWinners.base + b * capacity + r * fullWinners
        let scores = pWinnerScores.base + b * capacity + r * fullWinners
        var comparisons = 0
        let taken = TopK.select(
          UnsafePointer(row + first), count: size, k: cap, scratch: pTopK.base + worker * topKInt32s, into: winners,
          comparisons: &comparisons)
        for i in 0..<taken {
          winners[i] += Int32(first)
          scores[i] = row[Int(winners[i])]
        }
        ledger.add(.selection, FlopCounts(comparisons: comparisons))
        if adaptive {
          // The chunks starting in this range, less the last chunk.
          let j0 = (first + varianceMeanChunk - 1) / varianceMeanChunk
          let j1 = min(chunkCount - 1, (first + size + varianceMeanChunk - 1) / varianceMeanChunk)
          if j0 < j1 { sumChunks(b, j0, j1) }
        }
      }
    }
    let partial = counts.withUnsafeMutableBufferPointer { cnt in
      variances.withUnsafeMutableBufferPointer { vars in
        means.withUnsafeMutableBufferPointer { mns in
          let pCounts = SharedPointer(cnt.baseAddress!)
          let pVars = SharedPointer(vars.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!)
          let pMeans = SharedPointer(mns.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!)
          return parallelTasks(taskCount: B, workers: min(kernelWorkerCount, B)) { worker, b, ledger in
            let row = pScores.base + b * scoreStride
            let topK = pTopK.base + worker * topKInt32s
            let out = pSel.base + b * selectionStride
            var counts = FlopCounts()
            var bytes = ByteCounts(read: 4 * n)
            let taken: Int
            if split {
              // The top-cap of the rangeCount' winners (in range order, so in index order: the same set
              // and order as one select over all n).
              taken = TopK.select(
                UnsafePointer(pWinnerScores.base + b * capacity), count: winnerCount, k: cap, scratch: topK, into: out,
                comparisons: &counts.comparisons)
              let winners = pWinners.base + b * capacity
              for i in 0..<taken { out[i] = winners[Int(out[i])] }
            } else {
              taken = TopK.select(
                UnsafePointer(row), count: n, k: cap, scratch: topK, into: out, comparisons: &counts.comparisons)
            }
            var k = taken
            if adaptive {
              let (sum, squares) =
                split ? (pTotals[b].x, pTotals[b].y) : sumAndSumOfSquares(UnsafePointer(row), count: n)
              counts += FlopCounts(flops: 3 * n)
              let variance: Double
              if let sums = pSums {
                // Every row's variance at N = L + 1, then their mean (prefill's chunked order).
                sums.base[b * capacity + L] = SIMD2(sum, squares)
                variance = codeScale.variance(sum: sum, sumOfSquares: squares)
                counts += RowVarianceScale.setupCounts + RowVarianceScale.varianceCounts.times(n)
                bytes += ByteCounts(read: 16 * L, written: 16)
              } else {
                variance = RowVarianceScale(entries: n).variance(sum: sum, sumOfSquares: squares)
                pVariances!.base[b * capacity + L] = variance
                counts += RowVarianceScale.setupCounts + RowVarianceScale.varianceCounts
                bytes += ByteCounts(read: 8 * L, written: 8)
              }
              sumChunks(b, split ? chunkCount - 1 : 0, chunkCount)
              let mean = sumOfChunks(pChunkSums.base + b * chunkStride, count: chunkCount) / Double(n) + 1e-8
              counts += FlopCounts(flops: n + 1, transcendentals: 1) + budgetCounts(rule: c.kRule)
              k = adaptiveBudget(rule: c.kRule, variance: variance, meanVariance: mean, config: c, candidates: n)
              let kept = pKept.base + b * selectionStride
              for i in 0..<taken { kept[i] = row[Int(out[i])] }
              narrowSelection(
                out, kept: kept, cap: taken, k: k, scratch: topK, positions: pPositions.base + b * selectionStride,
                comparisons: &counts.comparisons)
              pVars[b] = variance
              pMeans[b] = mean
            } else {
              counts += budgetCounts(rule: .fixed)
            }
            pCounts[b] = k
            bytes += ByteCounts(written: 4 * k)
            ledger.add(.selection, counts)
            ledger.addBytes(.selection, bytes)
          }
        }
      }
    }
    ledger += partial
    clock.lap(.selection)
    return (counts, variances, means)
  }
}

/// How a decode step's stage-1 top-k splits a sequence's n = L + 1 candidates when one sequence per
/// core would leave cores idle (B < `workers`) and n ≥ `threshold` (and n > `rangeSize`): into
/// ⌈n/s⌉ contiguous ranges of s = `rangeSize` candidates (the last holds the rest), a top-c of each
/// (c = the stage-1 budget), then one top-c of their m = ⌊n/s⌋·min(c, s) + min(c, n mod s) winners,
/// gathered in range order. A key of the overall top-c is in its range's top-c, and the winners keep
/// index order, so the tie order (lower index first) and hence the selection and its order are those
/// of one select over all n. The ranges and the decision to split depend on n alone (not on the batch
/// or the core count). Comparisons: ⌊n/s⌋·r(s, c) + r(n mod s, c) + r(m, c) (`TopK.comparisons`), against r(n, c)
/// unsplit; the bytes do not change (the winners are scratch, as stage 2's kept scores).
public struct DecodeSelectionSplit: Sendable, Hashable {
  /// Smallest n that splits.
  public let threshold: Int
  /// Candidates per range.
  public let rangeSize: Int

  /// n ≥ 32768 in ranges of 16384 (8 ranges and a 1-candidate rest at L = 131072), at every batch:
  /// the rule, and so the counted comparisons, do not depend on the machine's core count.
  public static let standard = DecodeSelectionSplit(threshold: 32768, rangeSize: 16384)

  init(threshold: Int, rangeSize: Int) {
    precondition(rangeSize >= 1, "ranges hold at least one candidate")
    self.threshold = threshold
    self.rangeSize = rangeSize
  }

  /// Whether a step with n candidates per sequence splits (at any batch).
  public func splits(candidates n: Int) -> Bool { n >= threshold && n > rangeSize }

  /// Ranges of one sequence's n candidates: ⌈n/s⌉ when the step splits, else 1.
  public func rangeCount(candidates n: Int) -> Int { splits(candidates: n) ? (n + rangeSize - 1) / rangeSize : 1 }

  /// Parallel tasks of the selection's candidate pass for B sequences: B·(⌈n/s⌉ + 1) when the step
  /// splits under an adaptive rule (the extra task sums the new row's statistics), B·⌈n/s⌉ under the
  /// fixed rule, B (one per sequence) otherwise.
  public func candidateTasks(candidates n: Int, batch B: Int, adaptive: Bool) -> Int {
    splits(candidates: n) ? B * (rangeCount(candidates: n) + (adaptive ? 1 : 0)) : B
  }
}

/// The `blockedSum` of the code rule's row variances `first ..< first + count` at the scale's N,
/// computed from the cached (Σ I, Σ I²) (four rows per block: the same bits as one row at a time).
@inline(__always) func codeRuleChunkVarianceSum(
  _ sums: UnsafePointer<SIMD2<Double>>, scale: RowVarianceScale, first: Int, count: Int
) -> Double {
  let p = sums + first
  return blockedSum(
    count: count,
    block: { i in
      let pair0 = p[i], pair1 = p[i + 1], pair2 = p[i + 2], pair3 = p[i + 3]
      return scale.variance(
        sums: SIMD4(pair0.x, pair1.x, pair2.x, pair3.x), sumsOfSquares: SIMD4(pair0.y, pair1.y, pair2.y, pair3.y))
    }, term: { scale.variance(sum: p[$0].x, sumOfSquares: p[$0].y) })
}

/// Scores one query (H_I heads) against the 16-key chunks `chunks` of a sequence's cached indexer
/// keys (`KVCache.indexerKeys` layout), into `out` (key s at out[s]): per chunk and head
/// z = b'_j + Σ_x q_{j,x}·k'_{x,·} in float32 FMAs in order of x, then Σ_j w_j·act(z_j) in order of
/// j: the operations of the prefill kernel's 6 × 16 micro-tile on one row, so the scores are a
/// prefill's bits. Two chunks per step (independent FMA chains). Sigmoid: clamped
/// `sigmoidOfNegativeLog2V`.
func scoreDecodeRow(
  _ q: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>, heads: Int, dim: Int,
  relu: Bool, keys: UnsafePointer<Float>, chunks: Range<Int>, into out: UnsafeMutablePointer<Float>
) {
  @inline(__always) func activation(_ z: SIMD16<Float>) -> SIMD16<Float> {
    relu ? z.replacing(with: 0, where: z .< 0) : sigmoidOfNegativeLog2V(z, clamp: true)
  }
  @inline(__always) func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
  }
  var tau = chunks.lowerBound
  while tau + 2 <= chunks.upperBound {
    let k0 = keys + tau * dim * 16, k1 = k0 + dim * 16
    var sum0 = SIMD16<Float>(), sum1 = SIMD16<Float>()
    for j in 0..<heads {
      var z0 = SIMD16<Float>(repeating: bias[j]), z1 = z0
      let qj = q + j * dim
      for x in 0..<dim {
        let s = SIMD16<Float>(repeating: qj[x])
        z0 = z0.addingProduct(s, load16(k0 + x * 16))
        z1 = z1.addingProduct(s, load16(k1 + x * 16))
      }
      let wj = SIMD16<Float>(repeating: w[j])
      sum0.addProduct(wj, activation(z0))
      sum1.addProduct(wj, activation(z1))
    }
    UnsafeMutableRawPointer(out + tau * 16).storeBytes(of: sum0, as: SIMD16<Float>.self)
    UnsafeMutableRawPointer(out + tau * 16 + 16).storeBytes(of: sum1, as: SIMD16<Float>.self)
    tau += 2
  }
  if tau < chunks.upperBound {
    let k0 = keys + tau * dim * 16
    var sum0 = SIMD16<Float>()
    for j in 0..<heads {
      var z0 = SIMD16<Float>(repeating: bias[j])
      let qj = q + j * dim
      for x in 0..<dim { z0 = z0.addingProduct(SIMD16<Float>(repeating: qj[x]), load16(k0 + x * 16)) }
      sum0.addProduct(SIMD16<Float>(repeating: w[j]), activation(z0))
    }
    UnsafeMutableRawPointer(out + tau * 16).storeBytes(of: sum0, as: SIMD16<Float>.self)
  }
}
