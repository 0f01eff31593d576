import Foundation

/// Inputs of the lightning-indexer kernel, prepared by the layer.
///
/// For the sigmoid activation the keys and biases are stored multiplied by −log2 e (`init`), so the
/// kernel's z = b'_j + q·k' is already the argument u = −log2 e·(b_j + q·k) of
/// `sigmoidOfNegativeLog2V`: σ's argument scaling is hoisted out of the O(L²) loop into the O(L·d_I)
/// key packing. It is part of evaluating σ (a transcendental in the ledger), not a ledger FLOP.
struct IndexerInputs {
  /// Indexer queries, `paddedRows × (H_I·d_I)`, already multiplied by 1/√d_I when that scale is on;
  /// rows ≥ L are zero.
  var queries: UnsafePointer<Float>
  /// Indexer keys transposed and packed in chunks of 16 keys: chunk τ is a contiguous d_I × 16
  /// block at τ·d_I·16, element (x, c) at x·16 + c; keys ≥ L are zero. Sigmoid: times −log2 e.
  var keysT: UnsafePointer<Float>
  var keyStride: Int
  /// Head weights w_{t,j} = σ(h_t W^{Iw}_j + c_j), `paddedRows × H_I`.
  var weights: UnsafePointer<Float>
  /// b_j, `H_I` (sigmoid: −log2 e·b_j).
  var bias: UnsafePointer<Float>
  var heads: Int
  var dim: Int
  var relu: Bool
  /// The query index of `queries`' and `weights`' first row (0 for a whole prefill; a cache
  /// fill scores the rows of one chunk of later queries).
  var firstRow = 0
  /// Sigmoid only: |u| ≤ max_j |b'_j| + max_t ‖q_{t,j}‖ · max_s ‖k'_s‖ ≤ `unclampedArgumentBound` for
  /// every pair (Cauchy–Schwarz on the stored values), so the kernel may skip the clamp of u.
  var argumentsBounded: Bool

  /// |u| bound below which the sigmoid's clamp to [−126, 126] is skipped (the margin covers the
  /// float32 rounding of the dot products, ≤ d_I·2^−24·‖q‖‖k'‖ relative).
  static let unclampedArgumentBound = 100.0

  /// The kernel's inputs over caller-owned buffers: `queries` (`rows × H_I·d_I`), `keysT`
  /// (`d_I × keyStride`, packed) and `bias` (`H_I`); for the sigmoid, multiplies `keysT` and `bias`
  /// by −log2 e in place and sets `argumentsBounded`.
  init(
    queries: UnsafePointer<Float>, rows: Int, keysT: UnsafeMutablePointer<Float>, keyStride: Int,
    weights: UnsafePointer<Float>, bias: UnsafeMutablePointer<Float>, heads: Int, dim: Int, relu: Bool
  ) {
    self.queries = queries
    self.keysT = UnsafePointer(keysT)
    self.keyStride = keyStride
    self.weights = weights
    self.bias = UnsafePointer(bias)
    self.heads = heads
    self.dim = dim
    self.relu = relu
    argumentsBounded = false
    guard !relu else { return }
    let toLog2 = Self.sigmoidKeyScale
    for i in 0..<(dim * keyStride) { keysT[i] *= toLog2 }
    var largestBias = 0.0
    for j in 0..<heads {
      bias[j] *= toLog2
      largestBias = max(largestBias, Double(abs(bias[j])))
    }
    // Largest squared norm of a query row (rows × heads rows of d_I) and of a key (element x of
    // key 16·τ + c at τ·d_I·16 + x·16 + c).
    var largestQuery = 0.0
    for i in 0..<(rows * heads) {
      var squares = 0.0
      for x in 0..<dim {
        let v = Double(queries[i * dim + x])
        squares += v * v
      }
      largestQuery = max(largestQuery, squares)
    }
    var largestKey = 0.0
    for chunk in 0..<(keyStride / 16) {
      let block = keysT + chunk * dim * 16
      for c in 0..<16 {
        var squares = 0.0
        for x in 0..<dim {
          let v = Double(block[x * 16 + c])
          squares += v * v
        }
        largestKey = max(largestKey, squares)
      }
    }
    // ∞ anywhere makes the bound infinite, so the kernel clamps. A NaN may be dropped by `max`;
    // its scores are NaN on either path (the clamp keeps NaN).
    let bound = largestBias + largestQuery.squareRoot() * largestKey.squareRoot()
    argumentsBounded = bound <= Self.unclampedArgumentBound
  }

  /// Inputs whose keys and biases are already stored as the kernel takes them (for the sigmoid,
  /// times −log2 e: a KV cache's indexer keys), with queries and weights starting at query
  /// `firstRow`. The clamped σ is used: the same values as the unclamped one wherever a prefill
  /// would skip the clamp.
  init(
    storedQueries queries: UnsafePointer<Float>, firstRow: Int, keysT: UnsafePointer<Float>, keyStride: Int,
    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, heads: Int, dim: Int, relu: Bool
  ) {
    self.queries = queries
    self.firstRow = firstRow
    self.keysT = keysT
    self.keyStride = keyStride
    self.weights = weights
    self.bias = bias
    self.heads = heads
    self.dim = dim
    self.relu = relu
    argumentsBounded = false
  }

  /// −log2 e, the factor the sigmoid indexer's keys and biases are stored with.
  static let sigmoidKeyScale: Float = -1.442_695_04

  /// Row stride of a query block's score buffer: the key stride padded by 16 floats (with a
  /// power-of-two L the rows of a block would all map to the same L1/L2 cache sets).
  var scoreBufferStride: Int { keyStride + 16 }
}

/// The selected key sets: query t's keys are `indices[offsets[t] ..< offsets[t] + counts[t]]`
/// (ascending).
public struct SelectionSets: Sendable {
  public var offsets: [Int]
  public var counts: [Int]
  public var indices: [Int32]
  /// Var_t of each query's indexer row (adaptive rules only; the rule's convention).
  public var variances: [Double]
  /// Wall seconds of the scoring inside `indexAndSelect` (timing only, for `BucketSeconds`): the
  /// score-and-select section's wall time times the share of its summed worker busy time spent
  /// scoring; the rest of the call is selection.
  public var scoreSeconds = 0.0
  /// Σ_t k_t.
  public var totalSelected: Int { counts.reduce(0, +) }
}

/// Counts of one indexer score pair.
@inline(__always) func indexerPairCounts(heads: Int, dim: Int, relu: Bool) -> FlopCounts {
  FlopCounts(flops: heads * (2 * dim + 3), transcendentals: relu ? 0 : heads, comparisons: relu ? heads : 0)
}

/// Indexer row group: queries per register micro-tile (6 rows × 16 keys, 12 FMA chains).
let indexerRows = 6

/// The activation step of the indexer kernel's epilogue, fixed per call so that each case compiles
/// to its own loop.
enum IndexerEpilogue {
  case relu
  /// σ with the clamp of u (`sigmoidOfNegativeLog2V(clamp: true)`).
  case sigmoid
  /// σ without it, when `IndexerInputs.argumentsBounded`.
  case boundedSigmoid
}

/// Scores a 6-query × 16-key micro-tile into `out` (row stride `ldo`): head by head, z = b_j + q·k
/// in a `Tile6x16` of registers, stored to the `zs` scratch (`heads` × 6 × 16, L1-resident); then
/// row by row out = Σ_j w_j·act(z_j), 16 keys at a time (two interleaved 8-lane chains, with the
/// activation's constants in registers). For the sigmoid z is u = −log2 e·(b_j + q·k)
/// (`IndexerInputs`).
@inline(__always)
func indexerMicro6(
  _ q: UnsafePointer<Float>, ldq: Int, _ kT: UnsafePointer<Float>, ldk: Int, _ w: UnsafePointer<Float>,
  _ bias: UnsafePointer<Float>, heads: Int, dim: Int, epilogue: IndexerEpilogue, _ out: UnsafeMutablePointer<Float>,
  ldo: Int, zs: UnsafeMutablePointer<Float>
) {
  for j in 0..<heads {
    var z = Tile6x16(repeating: SIMD8<Float>(repeating: bias[j]))
    z.multiplyAccumulate(q + j * dim, aRow: ldq, aStep: 1, kT, bStep: ldk, count: dim)
    z.store(zs + 96 * j, ldc: 16)
  }
  for r in 0..<6 {
    var sum = SIMD16<Float>()
    for j in 0..<heads {
      let z = UnsafeRawPointer(zs + 96 * j + 16 * r).loadUnaligned(as: SIMD16<Float>.self)
      let a: SIMD16<Float>
      switch epilogue {
      case .relu: a = z.replacing(with: 0, where: z .< 0)
      case .sigmoid: a = sigmoidOfNegativeLog2V(z, clamp: true)
      case .boundedSigmoid: a = sigmoidOfNegativeLog2V(z, clamp: false)
      }
      sum.addProduct(SIMD16<Float>(repeating: w[r * heads + j]), a)
    }
    UnsafeMutableRawPointer(out + r * ldo).storeBytes(of: sum, as: SIMD16<Float>.self)
  }
}

/// Fills the score rows of queries `t0 ..< t0 + rows` (rows a multiple of `indexerRows`) into
/// `buffer` (row stride `bufferStride`, default `inputs.keyStride`), only the key chunks each row
/// group needs; returns the number of executed pairs.
func scoreQueryBlock(
  _ inputs: IndexerInputs, t0: Int, rows: Int, length L: Int, causal: Bool, into buffer: UnsafeMutablePointer<Float>,
  bufferStride: Int? = nil
) -> Int {
  let ldb = bufferStride ?? inputs.keyStride
  let epilogue: IndexerEpilogue = inputs.relu ? .relu : inputs.argumentsBounded ? .boundedSigmoid : .sigmoid
  let block = IndexerBlock(inputs: inputs, t0: t0, rows: rows, length: L, causal: causal, buffer: buffer, ldb: ldb)
  // The common head counts of the bounded sigmoid (the GSA path) as compile-time constants, each
  // its own function (unrolled head loops: 4–5% at H_I = 2).
  switch (epilogue, inputs.heads) {
  case (.boundedSigmoid, 2): return scoreBoundedSigmoid2(block)
  case (.boundedSigmoid, 4): return scoreBoundedSigmoid4(block)
  case (.boundedSigmoid, _): return scoreBoundedSigmoid(block)
  case (.sigmoid, _): return scoreSigmoid(block)
  case (.relu, _): return scoreRelu(block)
  }
}

/// The arguments of one `scoreQueryBlock` call.
private struct IndexerBlock {
  var inputs: IndexerInputs
  var t0: Int, rows: Int, length: Int, causal: Bool
  var buffer: UnsafeMutablePointer<Float>, ldb: Int
}

@inline(never) private func scoreBoundedSigmoid2(_ b: IndexerBlock) -> Int { scoreQueryBlock(b, .boundedSigmoid, heads: 2) }
@inline(never) private func scoreBoundedSigmoid4(_ b: IndexerBlock) -> Int { scoreQueryBlock(b, .boundedSigmoid, heads: 4) }
@inline(never) private func scoreBoundedSigmoid(_ b: IndexerBlock) -> Int {
  scoreQueryBlock(b, .boundedSigmoid, heads: b.inputs.heads)
}
@inline(never) private func scoreSigmoid(_ b: IndexerBlock) -> Int { scoreQueryBlock(b, .sigmoid, heads: b.inputs.heads) }
@inline(never) private func scoreRelu(_ b: IndexerBlock) -> Int { scoreQueryBlock(b, .relu, heads: b.inputs.heads) }

@inline(__always)
private func scoreQueryBlock(_ block: IndexerBlock, _ epilogue: IndexerEpilogue, heads: Int) -> Int {
  let inputs = block.inputs, t0 = block.t0, rows = block.rows, L = block.length, causal = block.causal
  let buffer = block.buffer, ldb = block.ldb
  let dim = inputs.dim, ldq = heads * dim
  let R = indexerRows
  let groups = rows / R
  func keyLimit(_ group: Int) -> Int {
    causal ? roundUp(min(t0 + R * group + R, L), 16) : inputs.keyStride
  }
  let maxKey = keyLimit(groups - 1)
  let zs = UnsafeMutablePointer<Float>.allocate(capacity: heads * R * 16)
  defer { zs.deallocate() }
  var pairs = 0
  var s0 = 0
  while s0 < maxKey {
    for g in 0..<groups where s0 < keyLimit(g) {
      let row = t0 + R * g
      let local = row - inputs.firstRow
      indexerMicro6(
        inputs.queries + local * ldq, ldq: ldq, inputs.keysT + s0 * dim, ldk: 16, inputs.weights + local * heads,
        inputs.bias, heads: heads, dim: dim, epilogue: epilogue, buffer + R * g * ldb + s0, ldo: ldb, zs: zs)
      pairs += 16 * R
    }
    s0 += 16
  }
  return pairs
}

/// Adaptive-k budget of one query from its row variance (GSA-THEORY.md §2.4).
/// - code: k = k_base·(0.5 + 1/(1 + T·Var_t/V̄)); figure: k = k_base·Var_t/V̄; fixed: k_base;
/// then clamp to [k_min, k_max], to the candidate count n, and round down (as [code]'s `.long()`).
/// V̄ is passed with its +1e-8 already added. A non-finite value falls back to k_base.
public func adaptiveBudget(
  rule: AdaptiveKRule, variance: Double, meanVariance: Double, config c: LayerConfig, candidates n: Int
) -> Int {
  var k: Double
  switch rule {
  case .code: k = Double(c.kBase) * (0.5 + 1 / (1 + c.codeRuleTemperature * (variance / meanVariance)))
  case .figure: k = Double(c.kBase) * (variance / meanVariance)
  case .fixed: k = Double(c.kBase)
  }
  if !k.isFinite { k = Double(c.kBase) }
  k = min(max(k, Double(c.kMin)), Double(c.kMax))
  k = min(k, Double(n))
  return Int(k.rounded(.down))
}

/// Row variance convention of the rules: unbiased (N − 1) variance over N entries, where the
/// causal candidates carry their scores and (code rule) the masked future entries count as zeros:
/// N = L for `code` ([code] takes `var` over the whole masked-filled row), N = n_t for `figure`.
/// Var = (S₂ − S₁·(S₁/N))/(N − 1) from the row sums S₁ = Σ I, S₂ = Σ I² (masked zeros add nothing),
/// as S₁·(1/N), one FMA and a product by 1/(N − 1), clamped at 0; N ≤ 1 gives 0. The two
/// reciprocals are taken once per N, so a pass of the code rule (one N) pays 2 divisions in all
/// and a decode step can recompute every earlier row's variance at the new N cheaply, bit for bit
/// as a prefill of that length computes it.
struct RowVarianceScale {
  let entries: Int
  let inverseEntries: Double
  let inverseDenominator: Double

  /// Counts of making the scale: 2 divisions.
  static let setupCounts = FlopCounts(transcendentals: 2)
  /// Counts of one `variance`: 4 flops (product, FMA, product).
  static let varianceCounts = FlopCounts(flops: 4)

  init(entries N: Int) {
    entries = N
    inverseEntries = 1 / Double(max(N, 1))
    inverseDenominator = 1 / Double(max(N - 1, 1))
  }

  @inline(__always) func variance(sum: Double, sumOfSquares: Double) -> Double {
    let mean = sum * inverseEntries
    let v = sumOfSquares.addingProduct(-sum, mean) * inverseDenominator
    return entries <= 1 ? 0 : max(v, 0)
  }

  /// `variance` of four rows at once (the same operations lane by lane, so the same bits).
  @inline(__always) func variance(sums: SIMD4<Double>, sumsOfSquares: SIMD4<Double>) -> SIMD4<Double> {
    let mean = sums * inverseEntries
    let v = sumsOfSquares.addingProduct(-sums, mean) * inverseDenominator
    return entries <= 1 ? SIMD4() : v.replacing(with: 0, where: v .< 0)
  }
}

/// Σ_i x_i for i < n in float64, in a fixed order: 8 partial sums (two 4-lane vectors) over blocks
/// of 8, combined, then the leftover terms in order. `block(i)` gives terms i ..< i + 4 (i a multiple
/// of 4), `term(i)` one term; every caller that needs the same bits (the adaptive rules' mean row
/// variance in prefill and at decode) sums through this one function.
@inline(__always) func blockedSum(
  count n: Int, block: (Int) -> SIMD4<Double>, term: (Int) -> Double
) -> Double {
  var low = SIMD4<Double>(), high = SIMD4<Double>()
  var i = 0
  while i + 8 <= n {
    low += block(i)
    high += block(i + 4)
    i += 8
  }
  var sum = (low + high).sum()
  while i < n {
    sum += term(i)
    i += 1
  }
  return sum
}

/// Terms per chunk of the row-variance mean (`meanVariance`): the sum is Σ over chunks, in order,
/// of each chunk's `blockedSum`, so a decode step can sum the chunks on several cores
/// (`chunkVarianceSum`) and add them in the same order, with the same bits.
let varianceMeanChunk = 256

/// The `blockedSum` of variances `first ..< first + count` (one chunk of `meanVariance`).
@inline(__always) func chunkVarianceSum(_ variances: UnsafePointer<Double>, first: Int, count: Int) -> Double {
  let p = variances + first
  return blockedSum(count: count, block: { UnsafeRawPointer(p + $0).loadUnaligned(as: SIMD4<Double>.self) }, term: { p[$0] })
}

/// Σ_j chunkSums[j] for j < chunks, in order from 0: the total of `meanVariance`.
@inline(__always) func sumOfChunks(_ chunkSums: UnsafePointer<Double>, count chunks: Int) -> Double {
  var total = 0.0
  for j in 0..<chunks { total += chunkSums[j] }
  return total
}

/// V̄ = (Σ_t Var_t)/n + 1e-8 over n row variances (the [code] normaliser; our stated choice for the
/// figure rule too); counts n + 1 flops and 1 division. The sum runs over chunks of
/// `varianceMeanChunk` terms (each a `blockedSum`), added in order.
@inline(__always) func meanVariance(_ variances: UnsafePointer<Double>, count n: Int) -> Double {
  var total = 0.0
  var first = 0
  while first < n {
    total += chunkVarianceSum(variances, first: first, count: min(varianceMeanChunk, n - first))
    first += varianceMeanChunk
  }
  return total / Double(n) + 1e-8
}

/// (Σ x, Σ x²) of `values[0 ..< n]` in float64: 8 partial sums each (two 4-lane vectors, so the
/// additions do not wait on one another), combined at the end; then the < 8 leftover values.
@inline(__always) func sumAndSumOfSquares(_ values: UnsafePointer<Float>, count n: Int) -> (Double, Double) {
  var sumLow = SIMD4<Double>(), sumHigh = SIMD4<Double>(), squaresLow = SIMD4<Double>(), squaresHigh = SIMD4<Double>()
  var i = 0
  while i + 8 <= n {
    let x = loadV(values + i)
    let low = SIMD4<Double>(x.lowHalf), high = SIMD4<Double>(x.highHalf)
    sumLow += low
    sumHigh += high
    squaresLow.addProduct(low, low)
    squaresHigh.addProduct(high, high)
    i += 8
  }
  var sum = (sumLow + sumHigh).sum(), sumSquares = (squaresLow + squaresHigh).sum()
  while i < n {
    let x = Double(values[i])
    sum += x
    sumSquares = sumSquares.addingProduct(x, x)
    i += 1
  }
  return (sum, sumSquares)
}

/// Stage 2 of an adaptive selection: of the `cap` indices a stage-1 top-`cap` wrote to `indices`
/// (ascending), with their scores in `kept`, keeps the top `k` in place (still ascending);
/// nothing to do when k ≥ cap. `scratch` holds `TopK.scratchSize(candidates: cap)` Int32,
/// `positions` ≥ k.
@inline(__always) func narrowSelection(
  _ indices: UnsafeMutablePointer<Int32>, kept: UnsafePointer<Float>, cap: Int, k: Int,
  scratch: UnsafeMutablePointer<Int32>, positions: UnsafeMutablePointer<Int32>, comparisons: inout Int
) {
  guard k < cap else { return }
  TopK.select(kept, count: cap, k: k, scratch: scratch, into: positions, comparisons: &comparisons)
  for i in 0..<k { indices[i] = indices[Int(positions[i])] }
}

/// Bytes of the indexer's score pass over queries with `candidates` causal keys in all
/// (Σ_t n_t): per query its q^I rows and head weights read, its n_t scores written (float32);
/// the keys and biases, read once per pass, are counted by the caller.
@inline(__always) func indexerQueryBytes(queries: Int, candidates: Int, heads: Int, dim: Int) -> ByteCounts {
  ByteCounts(read: 4 * queries * (heads * dim + heads), written: 4 * candidates)
}

/// Runs the indexer over all queries, streaming blocks of `tiling.indexerQueryBlock` queries,
/// and keeps each query's selected keys (never an L×L matrix; each worker holds one
/// block × L score buffer). With `rowSums`, also stores each query's (Σ I, Σ I²) over its
/// candidates (adaptive rules; the KV cache keeps them for decode).
///
/// Bytes: the score pass reads q^I, w, k^I and b once and writes Σ_t n_t scores (indexer); the
/// selection reads the Σ_t n_t scores and writes Σ_t k_t 4-byte indices.
func indexAndSelect(
  _ inputs: IndexerInputs, length L: Int, config c: LayerConfig, tiling: KernelTiling, ledger: inout FlopLedger,
  rowSums: UnsafeMutablePointer<SIMD2<Double>>? = nil
) -> SelectionSets {
  precondition(
    tiling.indexerRowGroup == indexerRows && tiling.indexerKeyChunk == 16 && tiling.indexerQueryBlock % indexerRows == 0,
    "the indexer kernel is compiled for 6-row × 16-key micro-tiles")
  let adaptive = c.kRule != .fixed
  var caps = [Int](repeating: 0, count: L)
  var offsets = [Int](repeating: 0, count: L + 1)
  for t in 0..<L {
    let n = c.candidateCount(query: t, length: L)
    caps[t] = min(adaptive ? c.kMax : c.kBase, n)
    offsets[t + 1] = offsets[t] + caps[t]
  }
  var indices = [Int32](repeating: 0, count: offsets[L])
  var kept = [Float](repeating: 0, count: adaptive ? offsets[L] : 0)
  var variances = [Double](repeating: 0, count: adaptive ? L : 0)
  let block = tiling.indexerQueryBlock
  let blocks = (L + block - 1) / block
  let workers = min(kernelWorkerCount, blocks)
  let stride = inputs.scoreBufferStride
  let buffers = UnsafeMutablePointer<Float>.allocate(capacity: workers * block * stride)
  let scratchSize = TopK.scratchSize(candidates: L)
  let scratches = UnsafeMutablePointer<Int32>.allocate(capacity: workers * scratchSize)
  defer {
    buffers.deallocate()
    scratches.deallocate()
  }
  // The code rule's variance has one N (= L) for every row: its reciprocals once per pass.
  let codeScale = RowVarianceScale(entries: L)
  if c.kRule == .code { ledger.add(.selection, RowVarianceScale.setupCounts) }
  ledger.addBytes(.indexer, ByteCounts(read: 4 * (L * inputs.dim + inputs.heads)))
  let pairCounts = indexerPairCounts(heads: inputs.heads, dim: inputs.dim, relu: inputs.relu)
  let pBuffers = SharedPointer(buffers), pScratch = SharedPointer(scratches)
  let inputsBox = UncheckedBox(inputs)
  let pSums = rowSums.map { SharedPointer($0) }
  // Per task: nanoseconds scoring, then selecting (timing only, never counted).
  let busy = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * blocks)
  busy.initialize(repeating: 0, count: 2 * blocks)
  defer { busy.deallocate() }
  let pBusy = SharedPointer(busy)
  let sectionStart = PhaseClock.now()
  let partial = indices.withUnsafeMutableBufferPointer { idx in
    kept.withUnsafeMutableBufferPointer { keptBuf in
      variances.withUnsafeMutableBufferPointer { varBuf in
        let pIdx = SharedPointer(idx.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!)
        let pKept = SharedPointer(keptBuf.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!)
        let pVar = SharedPointer(varBuf.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!)
        return parallelTasks(taskCount: blocks, workers: workers) { worker, task, ledger in
          let t0 = task * block
          let t1 = min(L, t0 + block)
          let rows = roundUp(t1 - t0, indexerRows)
          let buffer = pBuffers.base + worker * block * stride
          let scratch = pScratch.base + worker * scratchSize
          let scoreStart = PhaseClock.now()
          let executedPairs = scoreQueryBlock(
            inputsBox.value, t0: t0, rows: rows, length: L, causal: c.causal, into: buffer, bufferStride: stride)
          let selectStart = PhaseClock.now()
          defer {
            pBusy[2 * task] = selectStart &- scoreStart
            pBusy[2 * task + 1] = PhaseClock.now() &- selectStart
          }
          ledger.addExecuted(.indexer, pairCounts.times(executedPairs))
          var usefulPairs = 0
          var selection = FlopCounts()
          var written = 0
          for t in t0..<t1 {
            let row = buffer + (t - t0) * stride
            let n = c.candidateCount(query: t, length: L)
            usefulPairs += n
            if adaptive {
              let (sum, sumSquares) = sumAndSumOfSquares(UnsafePointer(row), count: n)
              pSums?[t] = SIMD2(sum, sumSquares)
              let scale = c.kRule == .code ? codeScale : RowVarianceScale(entries: n)
              pVar[t] = scale.variance(sum: sum, sumOfSquares: sumSquares)
              selection += FlopCounts(flops: 3 * n) + RowVarianceScale.varianceCounts
              if c.kRule == .figure { selection += RowVarianceScale.setupCounts }
            }
            let out = pIdx.base + offsets[t]
            let taken = TopK.select(
              UnsafePointer(row), count: n, k: caps[t], scratch: scratch, into: out, comparisons: &selection.comparisons)
            if adaptive { for i in 0..<taken { pKept[offsets[t] + i] = row[Int(out[i])] } }
            written += taken
          }
          ledger.addExecuted(.selection, selection)
          ledger.addUseful(.selection, selection)
          ledger.addUseful(.indexer, pairCounts.times(usefulPairs))
          ledger.addBytes(
            .indexer, indexerQueryBytes(queries: t1 - t0, candidates: usefulPairs, heads: inputsBox.value.heads, dim: inputsBox.value.dim))
          // Fixed rule: these are the final indices; adaptive rules count theirs after stage 2.
          ledger.addBytes(.selection, ByteCounts(read: 4 * usefulPairs, written: adaptive ? 0 : 4 * written))
        }
      }
    }
  }
  let sectionSeconds = Double(PhaseClock.now() &- sectionStart) * 1e-9
  ledger += partial
  var scoring: UInt64 = 0, selecting: UInt64 = 0
  for task in 0..<blocks {
    scoring &+= busy[2 * task]
    selecting &+= busy[2 * task + 1]
  }
  let scoreSeconds = scoring &+ selecting > 0 ? sectionSeconds * Double(scoring) / Double(scoring &+ selecting) : 0
  var counts = caps
  if adaptive {
    let mean = variances.withUnsafeBufferPointer { meanVariance($0.baseAddress!, count: L) }
    ledger.add(.selection, FlopCounts(flops: L + 1, transcendentals: 1))
    let perQuery = budgetCounts(rule: c.kRule)
    let stage2 = counts.withUnsafeMutableBufferPointer { cnt in
      indices.withUnsafeMutableBufferPointer { idx in
        kept.withUnsafeBufferPointer { keptBuf in
          let pCnt = SharedPointer(cnt.baseAddress!), pIdx = SharedPointer(idx.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!)
          let pKept = SharedConstPointer(keptBuf.baseAddress ?? UnsafePointer(bitPattern: 8)!)
          let vars = variances
          let capsCopy = caps
          let offs = offsets
          let qBlock = 256
          return parallelTasks(taskCount: (L + qBlock - 1) / qBlock) { _, task, ledger in
            let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: TopK.scratchSize(candidates: c.kMax))
            let positions = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, c.kMax))
            defer {
              scratch.deallocate()
              positions.deallocate()
            }
            var counts = FlopCounts()
            var written = 0
            for t in (task * qBlock)..<min(L, task * qBlock + qBlock) {
              let n = c.candidateCount(query: t, length: L)
              let k = adaptiveBudget(rule: c.kRule, variance: vars[t], meanVariance: mean, config: c, candidates: n)
              counts += perQuery
              narrowSelection(
                pIdx.base + offs[t], kept: pKept.base + offs[t], cap: capsCopy[t], k: k, scratch: scratch,
                positions: positions, comparisons: &counts.comparisons)
              pCnt[t] = k
              written += k
            }
            ledger.add(.selection, counts)
            ledger.addBytes(.selection, ByteCounts(written: 4 * written))
          }
        }
      }
    }
    ledger += stage2
  } else {
    ledger.add(.selection, FlopCounts(comparisons: L))
  }
  return SelectionSets(offsets: offsets, counts: counts, indices: indices, variances: variances, scoreSeconds: scoreSeconds)
}

/// Counts of one query's adaptive budget (`adaptiveBudget`): code 4 flops + 2 divisions, figure
/// 1 flop + 1 division, 3 clamps; fixed: 1 clamp.
func budgetCounts(rule: AdaptiveKRule) -> FlopCounts {
  switch rule {
  case .code: FlopCounts(flops: 4, transcendentals: 2, comparisons: 3)
  case .figure: FlopCounts(flops: 1, transcendentals: 1, comparisons: 3)
  case .fixed: FlopCounts(comparisons: 1)
  }
}
