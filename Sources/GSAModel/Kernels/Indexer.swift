import Foundation

/// Inputs of the lightning-indexer kernel, prepared by the layer.
struct IndexerInputs {
  /// Indexer queries, `paddedRows × (H_I·d_I)`, already multiplied by 1/√d_I when that scale is on;
  /// rows ≥ L are zero.
  var queries: UnsafePointer<Float>
  /// Indexer keys transposed and packed in chunks of 16 keys: chunk τ is a contiguous d_I × 16
  /// block at τ·d_I·16, element (x, c) at x·16 + c; keys ≥ L are zero.
  var keysT: UnsafePointer<Float>
  var keyStride: Int
  /// Head weights w_{t,j} = σ(h_t W^{Iw}_j + c_j), `paddedRows × H_I`.
  var weights: UnsafePointer<Float>
  /// b_j, `H_I`.
  var bias: UnsafePointer<Float>
  var heads: Int
  var dim: Int
  var relu: Bool

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
  /// Σ_t k_t.
  public var totalSelected: Int { counts.reduce(0, +) }
}

/// Counts of one indexer score pair.
@inline(__always) func indexerPairCounts(heads: Int, dim: Int, relu: Bool) -> FlopCounts {
  FlopCounts(flops: heads * (2 * dim + 3), transcendentals: relu ? 0 : heads, comparisons: relu ? heads : 0)
}

/// Indexer row group: queries per register micro-tile (6 rows × 16 keys, 12 FMA chains).
let indexerRows = 6

/// Scores a 6-query × 16-key micro-tile into `out` (row stride `ldo`), head by head: the
/// q·k dot products into the 6 × 16 `dots` scratch tile (`multiplyAccumulate6x16`), then
/// out += w_j·act(dot + b_j).
@inline(__always)
func indexerMicro6(
  _ q: UnsafePointer<Float>, ldq: Int, _ kT: UnsafePointer<Float>, ldk: Int, _ w: UnsafePointer<Float>,
  _ bias: UnsafePointer<Float>, heads: Int, dim: Int, relu: Bool, _ out: UnsafeMutablePointer<Float>, ldo: Int,
  dots: UnsafeMutablePointer<Float>
) {
  for r in 0..<6 {
    storeV(SIMD8<Float>(), out + r * ldo)
    storeV(SIMD8<Float>(), out + r * ldo + 8)
  }
  for j in 0..<heads {
    multiplyAccumulate6x16(q + j * dim, aRow: ldq, aStep: 1, kT, bStep: ldk, count: dim, dots, ldc: 16, accumulate: false)
    let bj = SIMD8<Float>(repeating: bias[j])
    for r in 0..<6 {
      indexerAccumulate(out + r * ldo, w[r * heads + j], bj, loadV(dots + 16 * r), loadV(dots + 16 * r + 8), relu: relu)
    }
  }
}

/// out[0 ..< 16] += w_j·act(dot + b_j) for one query row of a micro-tile (a file-level function:
/// the nested closure it replaces was compiled as an out-of-line call).
@_transparent @usableFromInline
func indexerAccumulate(
  _ o: UnsafeMutablePointer<Float>, _ weight: Float, _ bj: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, relu: Bool
) {
  let wj = SIMD8<Float>(repeating: weight)
  let zl = lo + bj, zh = hi + bj
  let al = relu ? zl.replacing(with: 0, where: zl .< 0) : sigmoidV(zl)
  let ah = relu ? zh.replacing(with: 0, where: zh .< 0) : sigmoidV(zh)
  storeV(loadV(o).addingProduct(wj, al), o)
  storeV(loadV(o + 8).addingProduct(wj, ah), o + 8)
}

/// Fills the score rows of queries `t0 ..< t0 + rows` (rows a multiple of `indexerRows`) into
/// `buffer` (row stride `bufferStride`, default `inputs.keyStride`), only the key chunks each row
/// group needs; returns the number of executed pairs.
func scoreQueryBlock(
  _ inputs: IndexerInputs, t0: Int, rows: Int, length L: Int, causal: Bool, into buffer: UnsafeMutablePointer<Float>,
  bufferStride: Int? = nil
) -> Int {
  let ldb = bufferStride ?? inputs.keyStride
  let ldq = inputs.heads * inputs.dim
  let R = indexerRows
  let groups = rows / R
  func keyLimit(_ group: Int) -> Int {
    causal ? roundUp(min(t0 + R * group + R, L), 16) : inputs.keyStride
  }
  let maxKey = keyLimit(groups - 1)
  let dots = UnsafeMutablePointer<Float>.allocate(capacity: R * 16)
  defer { dots.deallocate() }
  var pairs = 0
  var s0 = 0
  while s0 < maxKey {
    for g in 0..<groups where s0 < keyLimit(g) {
      let row = t0 + R * g
      indexerMicro6(
        inputs.queries + row * ldq, ldq: ldq, inputs.keysT + s0 * inputs.dim, ldk: 16, inputs.weights + row * inputs.heads,
        inputs.bias, heads: inputs.heads, dim: inputs.dim, relu: inputs.relu, buffer + R * g * ldb + s0,
        ldo: ldb, dots: dots)
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

/// Row variance convention of the rules: unbiased (n − 1) variance over N entries, where the
/// causal candidates carry their scores and (code rule) the masked future entries count as zeros:
/// N = L for `code` ([code] takes `var` over the whole masked-filled row), N = n_t for `figure`.
/// N ≤ 1 gives 0.
@inline(__always) func rowVariance(sum: Double, sumOfSquares: Double, entries N: Int) -> Double {
  let n = Double(N)
  let mean = sum / n
  let v = (sumOfSquares - n * (mean * mean)) / Double(max(N - 1, 1))
  return N <= 1 ? 0 : max(v, 0)
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

/// Runs the indexer over all queries, streaming blocks of `tiling.indexerQueryBlock` queries,
/// and keeps each query's selected keys (never an L×L matrix; each worker holds one
/// block × L score buffer).
func indexAndSelect(
  _ inputs: IndexerInputs, length L: Int, config c: LayerConfig, tiling: KernelTiling, ledger: inout FlopLedger
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
  let histograms = UnsafeMutablePointer<Int32>.allocate(capacity: workers * TopK.histogramSize)
  defer {
    buffers.deallocate()
    histograms.deallocate()
  }
  let pairCounts = indexerPairCounts(heads: inputs.heads, dim: inputs.dim, relu: inputs.relu)
  let pBuffers = SharedPointer(buffers), pHist = SharedPointer(histograms)
  let inputsBox = UncheckedBox(inputs)
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
          let histogram = pHist.base + worker * TopK.histogramSize
          let executedPairs = scoreQueryBlock(
            inputsBox.value, t0: t0, rows: rows, length: L, causal: c.causal, into: buffer, bufferStride: stride)
          ledger.addExecuted(.indexer, pairCounts.times(executedPairs))
          var usefulPairs = 0
          var selection = FlopCounts()
          for t in t0..<t1 {
            let row = buffer + (t - t0) * stride
            let n = c.candidateCount(query: t, length: L)
            usefulPairs += n
            if adaptive {
              let (sum, sumSquares) = sumAndSumOfSquares(UnsafePointer(row), count: n)
              pVar[t] = rowVariance(sum: sum, sumOfSquares: sumSquares, entries: c.kRule == .code ? L : n)
              selection += FlopCounts(flops: 3 * n + 3, transcendentals: 2)
            }
            let out = pIdx.base + offsets[t]
            let written = TopK.select(
              UnsafePointer(row), count: n, k: caps[t], histogram: histogram, into: out, comparisons: &selection.comparisons)
            if adaptive { for i in 0..<written { pKept[offsets[t] + i] = row[Int(out[i])] } }
          }
          ledger.addExecuted(.selection, selection)
          ledger.addUseful(.selection, selection)
          ledger.addUseful(.indexer, pairCounts.times(usefulPairs))
        }
      }
    }
  }
  ledger += partial
  var counts = caps
  if adaptive {
    // V̄ = mean_t Var_t + 1e-8 (the [code] normaliser; our stated choice for the figure rule too).
    var total = 0.0
    for t in 0..<L { total += variances[t] }
    let meanVariance = total / Double(L) + 1e-8
    ledger.add(.selection, FlopCounts(flops: L + 1, transcendentals: 1))
    let perQuery =
      c.kRule == .code ? FlopCounts(flops: 4, transcendentals: 2, comparisons: 3) : FlopCounts(flops: 1, transcendentals: 1, comparisons: 3)
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
            let histogram = UnsafeMutablePointer<Int32>.allocate(capacity: TopK.histogramSize)
            let positions = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, c.kMax))
            defer {
              histogram.deallocate()
              positions.deallocate()
            }
            var counts = FlopCounts()
            for t in (task * qBlock)..<min(L, task * qBlock + qBlock) {
              let n = c.candidateCount(query: t, length: L)
              let k = adaptiveBudget(rule: c.kRule, variance: vars[t], meanVariance: meanVariance, config: c, candidates: n)
              counts += perQuery
              let cap = capsCopy[t]
              if k < cap {
                TopK.select(
                  pKept.base + offs[t], count: cap, k: k, histogram: histogram, into: positions, comparisons: &counts.comparisons)
                for i in 0..<k { pIdx[offs[t] + i] = pIdx[offs[t] + Int(positions[i])] }
              }
              pCnt[t] = k
            }
            ledger.add(.selection, counts)
          }
        }
      }
    }
    ledger += stage2
  } else {
    ledger.add(.selection, FlopCounts(comparisons: L))
  }
  return SelectionSets(offsets: offsets, counts: counts, indices: indices, variances: variances)
}
