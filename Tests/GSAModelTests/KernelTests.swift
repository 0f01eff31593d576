import Foundation
import GSLKit
import PropertyTesting
import Testing

@testable import GSAModel

@Suite struct KernelTests {
  @Test func gemmMatchesNaive() {
    let rng = GSLRandom(seed: 11)
    for trial in 0..<12 {
      let m = 1 + rng.uniformInt(below: 20), k = 1 + rng.uniformInt(below: 300), n = 1 + rng.uniformInt(below: 40)
      let a = rng.gaussianMatrix(rows: m, cols: k, scale: 1).map(Float.init)
      let b = rng.gaussianMatrix(rows: k, cols: n, scale: 1).map(Float.init)
      let bias = rng.gaussianMatrix(rows: 1, cols: n, scale: 1).map(Float.init)
      var c = [Float](repeating: .nan, count: m * n)
      let counts = a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
          bias.withUnsafeBufferPointer { biasp in
            c.withUnsafeMutableBufferPointer { cp in
              gemm(ap.baseAddress!, rows: m, inner: k, bp.baseAddress!, cols: n, into: cp.baseAddress!, bias: biasp.baseAddress!)
            }
          }
        }
      }
      #expect(counts.flops == 2 * m * k * n + m * n)
      for i in 0..<m {
        for j in 0..<n {
          var ref = Double(bias[j]), mag = abs(Double(bias[j]))
          for x in 0..<k {
            ref += Double(a[i * k + x]) * Double(b[x * n + j])
            mag += abs(Double(a[i * k + x]) * Double(b[x * n + j]))
          }
          #expect(abs(Double(c[i * n + j]) - ref) <= 1e-5 * mag + 1e-6, "trial \(trial) seed 11 (\(i),\(j))")
        }
      }
    }
  }

  /// The sparse core at a size whose K/V copies take the huge-page allocation path (≥ 4 MiB:
  /// L 2048 × H_kv 8 × d 64 floats), against a float64 reference on every (query, head):
  /// softmax over the selected keys, weighted values (every 7th query).
  @Test func sparseCoreMatchesReferenceOnHugePageBuffers() {
    let L = 2048, H = 8, Hkv = 8, d = 64, k = 16
    #expect(L * Hkv * d * MemoryLayout<Float>.stride >= 4 << 20)
    let rng = GSLRandom(seed: 23)
    let selection = KernelProbe.randomSelection(length: L, k: k, seed: 24)
    let q = rng.gaussianMatrix(rows: L, cols: H * d, scale: 1 / 8).map(Float.init)
    let keys = rng.gaussianMatrix(rows: L, cols: Hkv * d, scale: 1).map(Float.init)
    let values = rng.gaussianMatrix(rows: L, cols: Hkv * d, scale: 1).map(Float.init)
    let out = runAttentionKernel(
      queries: q, keys: keys, values: values, keyStride: L, heads: H, kvHeads: Hkv, headDim: d, outputCount: L * H * d
    ) { inputs, output, ledger in
      sparseAttention(inputs, selection: selection, length: L, output: output, ledger: &ledger)
    }
    // Every 7th query (all heads): the float64 reference dominates the test's time.
    let worst = worstSparseError(
      out, queries: q, keys: keys, values: values, selection: selection, heads: H, kvHeads: Hkv, headDim: d,
      at: Array(stride(from: 0, to: L, by: 7)))
    #expect(worst <= 1e-5, "seed 23: worst absolute error \(worst)")
  }

  /// Grouped-query shapes (H/H_kv query heads sharing each gathered row), budgets that are not a
  /// multiple of the 8-key blocks or of the 32-key P·V chunks, head dimensions with and without a
  /// 64-column pass and one below the SIMD width: every (query, head) against float64.
  @Test(arguments: [(8, 2, 64, 43), (8, 4, 24, 29), (6, 3, 72, 70), (4, 1, 16, 9), (4, 2, 6, 11)])
  func sparseCoreMatchesReferenceForGroupedHeads(heads H: Int, kvHeads Hkv: Int, headDim d: Int, k: Int) {
    let L = 300
    let rng = GSLRandom(seed: 41)
    let selection = KernelProbe.randomSelection(length: L, k: k, seed: 42)
    let run = runSparseCore(selection: selection, length: L, heads: H, kvHeads: Hkv, headDim: d, rng: rng)
    #expect(run.worstError <= 1e-5, "seed 41, H \(H), H_kv \(Hkv), d \(d), k \(k): worst absolute error \(run.worstError)")
    #expect(run.countsMatch)
  }

  /// Selections in no particular order (the kernel's prefetch stream runs from one query's
  /// selection into the next, and nothing may assume them ascending), of every size from 0 to 40
  /// (empty ones give NaN rows), over keys anywhere in 0 ..< L: every (query, head) against
  /// float64, and the ledger against `softmaxRowCounts`.
  @Test(arguments: [(4, 2, 64), (6, 3, 24)])
  func sparseCoreTakesUnorderedSelectionsOfAnySize(heads H: Int, kvHeads Hkv: Int, headDim d: Int) {
    let L = 90
    let rng = GSLRandom(seed: 51)
    var offsets = [0], counts = [Int](), indices = [Int32]()
    for t in 0..<L {
      var pool = Array(Int32(0)..<Int32(L))
      let m = t % 41
      for i in 0..<m {
        let j = i + min(L - i - 1, Int(rng.uniform() * Double(L - i)))
        pool.swapAt(i, j)
      }
      indices += pool[0..<m]
      counts.append(m)
      offsets.append(indices.count)
    }
    let selection = SelectionSets(offsets: offsets, counts: counts, indices: indices, variances: [])
    let run = runSparseCore(selection: selection, length: L, heads: H, kvHeads: Hkv, headDim: d, rng: rng)
    let empty = (0..<L).filter { counts[$0] == 0 }
    #expect(empty.allSatisfy { t in (0..<(H * d)).allSatisfy { run.output[t * H * d + $0].isNaN } }, "seed 51: empty rows")
    #expect(run.worstError <= 1e-5, "seed 51, H \(H), H_kv \(Hkv), d \(d): worst absolute error \(run.worstError)")
    #expect(run.countsMatch)
  }

  /// The dense kernel when a row's maximum keeps rising: score(t, s) = 0.2·s + noise, so every
  /// 64-key tile raises the row max by about 13, beyond the lazy-rescale margin (8), and each tile
  /// takes the re-base path (α-rescale of O and l, P recomputed). Against a float64 softmax; head
  /// dimensions 16 (the 6 × 16 P·V tiles) and 8, 24 (the general P·V path). Tolerance: a float32
  /// score of size |S| carries a rounding error of ~|S|·2⁻²⁴, which moves its weight by as much
  /// relative, so the bound scales with the largest |S| (≈ 60 here).
  @Test(arguments: [8, 16, 24]) func denseCoreFollowsARisingMaxAcrossTiles(headDim d: Int) {
    let L = 300, H = 2, Hkv = 1, tile = denseTileKeys
    let rows = roundUp(L, KernelTiling.standard.denseRowGroup), keyStride = roundUp(L, tile)
    let rng = GSLRandom(seed: 31)
    let noise = rng.gaussianMatrix(rows: rows * H + L, cols: d, scale: 0.1).map(Float.init)
    let values = rng.gaussianMatrix(rows: L, cols: d, scale: 1).map(Float.init)
    // q = e₀ + noise, k_s = 0.2·s·e₀ + noise: scores rise with s.
    var q = [Float](repeating: 0, count: rows * H * d)
    for i in 0..<(rows * H) {
      for x in 0..<d { q[i * d + x] = (x == 0 ? 1 : 0) + noise[i * d + x] }
    }
    var keys = [Float](repeating: 0, count: L * d)
    for s in 0..<L {
      for x in 0..<d { keys[s * d + x] = (x == 0 ? 0.2 * Float(s) : 0) + noise[(rows * H + s) * d + x] }
    }
    var kT = [Float](repeating: 0, count: d * keyStride), vByHead = [Float](repeating: 0, count: keyStride * d)
    for s in 0..<L {
      for x in 0..<d {
        kT[(s / tile) * d * tile + x * tile + s % tile] = keys[s * d + x]
        vByHead[s * d + x] = values[s * d + x]
      }
    }
    let out = runAttentionKernel(
      queries: q, keys: kT, values: vByHead, keyStride: keyStride, heads: H, kvHeads: Hkv, headDim: d,
      outputCount: L * H * d
    ) { inputs, output, ledger in
      denseAttention(inputs, length: L, causal: true, tiling: .standard, output: output, ledger: &ledger)
    }
    var worst = 0.0, largestScore = 0.0
    for t in 0..<L {
      for h in 0..<H {
        let scores = (0...t).map { s in (0..<d).reduce(0.0) { $0 + Double(q[(t * H + h) * d + $1]) * Double(keys[s * d + $1]) } }
        let m = scores.max()!
        largestScore = max(largestScore, scores.map(abs).max()!)
        let weights = scores.map { Foundation.exp($0 - m) }
        let total = weights.reduce(0, +)
        for x in 0..<d {
          var ref = 0.0
          for s in 0...t { ref += weights[s] / total * Double(values[s * d + x]) }
          worst = max(worst, abs(Double(out[(t * H + h) * d + x]) - ref))
        }
      }
    }
    #expect(largestScore > 50)
    #expect(worst <= 1e-6 * largestScore, "seed 31, d \(d): worst absolute error \(worst), largest |score| \(largestScore)")
  }

  @Test func topKMatchesFullSortWithTies() {
    let rng = GSLRandom(seed: 5)
    let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: TopK.scratchSize(candidates: 6000))
    defer { scratch.deallocate() }
    for trial in 0..<300 {
      // Every 5th trial is long (the digit passes then see more than one 8-key block per bucket).
      let n = 1 + rng.uniformInt(below: trial % 5 == 4 ? 6000 : 300)
      let k = 1 + rng.uniformInt(below: n + 3)
      let distinct = 1 + rng.uniformInt(below: 6)
      // Few distinct values (many ties), sometimes signed and including ±0 and large magnitudes.
      let palette: [Float] = (0..<distinct).map { _ in
        [Float(rng.uniformInt(below: 5)) - 2, -0.0, 0.0, 1e30, -1e-30, Float(rng.gaussian())][rng.uniformInt(below: 6)]
      }
      // Clustered rows, like one query's indexer scores: a narrow band around a center (its keys
      // share their high bits), sometimes straddling a power of two or zero.
      let center = [Float(0.5), 1, 0, -2, 3.75][rng.uniformInt(below: 5)]
      let width = [Float(1e-6), 1e-3, 0.25][rng.uniformInt(below: 3)]
      let values: [Float] = (0..<n).map { _ in
        switch trial % 3 {
        case 0: Float(rng.gaussian())
        case 1: center + width * Float(rng.gaussian())
        default: palette[rng.uniformInt(below: distinct)]
        }
      }
      var out = [Int32](repeating: -1, count: n)
      var comparisons = 0
      let written = values.withUnsafeBufferPointer { vp in
        out.withUnsafeMutableBufferPointer { op in
          TopK.select(vp.baseAddress!, count: n, k: k, scratch: scratch, into: op.baseAddress!, comparisons: &comparisons)
        }
      }
      let expected = Self.topKByFullSort(values, k: k)
      #expect(written == min(k, n))
      #expect(out.prefix(written).map(Int.init) == expected, "trial \(trial) seed 5 n \(n) k \(k)")
      #expect(comparisons == TopK.comparisons(candidates: n, k: k))
    }
  }

  /// A top-k case: n candidates of one kind, budget k, values from `seed`.
  struct TopKCase: CustomStringConvertible {
    let n: Int, k: Int, kind: Int, seed: UInt64
    var description: String { "n \(n) k \(k) kind \(kind) seed \(seed)" }
    static let kinds = 6

    /// 0 Gaussian; 1 a narrow band; 2 ascending (group maxima all at chunk ends); 3 the largest
    /// values in the tail past the grouped keys; 4 few distinct values (ties); 5 ±∞ and ±0 mixed in.
    func values() -> [Float] {
      let rng = GSLRandom(seed: seed)
      return (0..<n).map { i in
        switch kind {
        case 0: Float(rng.gaussian())
        case 1: 1 + 1e-4 * Float(rng.gaussian())
        case 2: Float(i) * 1e-3 + 1e-4 * Float(rng.gaussian())
        case 3: i >= n - n % 64 - 8 ? 10 + Float(rng.gaussian()) : Float(rng.gaussian())
        case 4: Float(rng.uniformInt(below: 3)) - 1
        default: [Float.infinity, -.infinity, 0, -0.0, Float(rng.gaussian())][rng.uniformInt(below: 5)]
        }
      }
    }
  }

  /// Indices of the top k under "larger first, −0 below +0, lower index first", ascending.
  static func topKByFullSort(_ values: [Float], k: Int) -> [Int] {
    let order = values.indices.sorted { a, b in
      let va = values[a], vb = values[b]
      if va != vb { return va > vb }
      if va.sign != vb.sign { return va.sign == .plus }
      return a < b
    }
    return Array(order.prefix(k)).sorted()
  }

  /// Property: budgets well below the row length (the cutoff from group maxima) select exactly
  /// what a full sort selects, and count `TopK.comparisons`.
  @Test func topKWithShortBudgetsMatchesFullSort() throws {
    let cases = Gen<Int>.logUniform(in: 1...40_000).flatMap { n in
      Gen<(Int, Int, Int)>.zip(.logUniform(in: 1...n), .int(in: 0...(TopKCase.kinds - 1)), .int(in: 0...1_000_000))
        .map { k, kind, seed in TopKCase(n: n, k: k, kind: kind, seed: UInt64(seed)) }
    }
    let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: TopK.scratchSize(candidates: 40_000))
    defer { scratch.deallocate() }
    try forAll(cases, configuration: .init(cases: 300)) { c in
      let values = c.values()
      var out = [Int32](repeating: -1, count: c.n)
      var comparisons = 0
      let written = values.withUnsafeBufferPointer { vp in
        out.withUnsafeMutableBufferPointer { op in
          TopK.select(vp.baseAddress!, count: c.n, k: c.k, scratch: scratch, into: op.baseAddress!, comparisons: &comparisons)
        }
      }
      return written == min(c.k, c.n) && out.prefix(written).map(Int.init) == Self.topKByFullSort(values, k: c.k)
        && comparisons == TopK.comparisons(candidates: c.n, k: c.k)
    }
  }

  /// The top-k's mask-to-bits step (`laneBits`, one `vmovmskps` through a C helper) and its
  /// compaction (`compress`), for all 256 lane masks: bit l is lane l, and the indices written are
  /// base + the set lanes, lowest first.
  @Test func laneBitsAndCompressCoverEveryMask() {
    let destination = UnsafeMutablePointer<Int32>.allocate(capacity: 8)
    defer { destination.deallocate() }
    TopK.compressTable.withUnsafeBufferPointer { table in
      for bits in 0..<256 {
        var lanes = SIMD8<Int32>(repeating: 0)
        for lane in 0..<8 where bits & (1 << lane) != 0 { lanes[lane] = 1 }
        #expect(TopK.laneBits(lanes .== 1) == UInt32(bits), "mask \(bits)")
        let count = TopK.compress(UInt32(bits), base: 1000, table: table.baseAddress!, into: destination)
        let expected = (0..<8).filter { bits & (1 << $0) != 0 }.map { Int32(1000 + $0) }
        #expect(count == expected.count && Array(UnsafeBufferPointer(start: destination, count: count)) == expected)
      }
    }
  }

  /// The gather probe's row indices cover 0..<rows uniformly (a multiply-shift slip once sent
  /// every gather to row 0, an L1-resident "bandwidth" of 177 GB/s), and the probe returns one
  /// finite positive rate per repeat.
  @Test func gatherProbeDrawsEveryRowUniformly() {
    let rows = 1000, draws = 200_000
    var state: UInt64 = 12345
    var hits = [Int](repeating: 0, count: rows)
    for _ in 0..<draws { hits[KernelProbe.randomRow(&state, rows: rows)] += 1 }
    // Each count is Binomial(200000, 1/1000): mean 200, s.d. ≈ 14.1; ±6 s.d. fails by chance with
    // probability < 1e-6 over all rows.
    #expect(hits.min()! > 200 - 85 && hits.max()! < 200 + 85, "row counts \(hits.min()!)…\(hits.max()!)")
    let rates = KernelProbe.gatherBandwidth(rows: 4096, rowFloats: 16, gathersPerWorker: 4096, repeats: 3)
    #expect(rates.count == 3 && rates.allSatisfy { $0.isFinite && $0 > 0 })
  }

  @Test func expAndSigmoidStayFinite() {
    let xs: [Float] = [-.infinity, -1e30, -200, -88, -87, -10, -1e-8, 0, 1e-8, 3, 87, 88, 89, 200, 1e30, .infinity]
    for x in xs {
      let e = expV(SIMD8<Float>(repeating: x))[0]
      let s = sigmoidV(SIMD8<Float>(repeating: x))[0]
      #expect(e.isFinite && e >= 0, "exp(\(x)) = \(e)")
      #expect(s.isFinite && s >= 0 && s <= 1, "σ(\(x)) = \(s)")
      if abs(x) < 80 {
        #expect(abs(Double(e) - Foundation.exp(Double(x))) <= 4e-7 * Foundation.exp(Double(x)))
        #expect(abs(Double(s) - stableSigmoid(Double(x))) <= 4e-7)
      }
      #expect(stableSigmoid(Double(x)).isFinite)
    }
    #expect(expV(SIMD8<Float>(repeating: -.infinity))[0] == 0)
  }

  /// Relative error of the vector exp against float64 exp on a dense grid of the unclamped range
  /// (Cody–Waite reduction + degree-7 Cephes polynomial: a few ulp at most), and of the vector
  /// sigmoid against the stable float64 sigmoid.
  @Test func vectorExpAndSigmoidAreAccurateOnADenseGrid() {
    var worstExp = 0.0, worstSigmoid = 0.0
    var x: Float = -87
    while x < 88 {
      let lanes = SIMD8<Float>((0..<8).map { x + Float($0) * 0.001_37 })
      let e = expV(lanes), s = sigmoidV(lanes)
      for lane in 0..<8 {
        let exact = Foundation.exp(Double(lanes[lane]))
        worstExp = max(worstExp, abs(Double(e[lane]) - exact) / exact)
        let exactSigmoid = stableSigmoid(Double(lanes[lane]))
        worstSigmoid = max(worstSigmoid, abs(Double(s[lane]) - exactSigmoid) / exactSigmoid)
      }
      x += 0.0173
    }
    #expect(worstExp <= 2.5e-7, "worst relative exp error \(worstExp)")
    #expect(worstSigmoid <= 3e-7, "worst relative sigmoid error \(worstSigmoid)")
  }

  /// The indexer's sigmoid from u = −z·log2 e, with and without its clamp, against float64
  /// σ(−u/log2 e) on a dense grid of |u| ≤ 120 (σ stays a normal float there); with the clamp,
  /// σ ∈ [0, 1] for extreme and infinite u.
  @Test func indexerSigmoidIsAccurateOnADenseGrid() {
    var worst = [0.0, 0.0]
    var u: Float = -120
    while u < 120 {
      let lanes = SIMD16<Float>((0..<16).map { u + Float($0) * 0.000_93 })
      for (c, clamp) in [false, true].enumerated() {
        let s = sigmoidOfNegativeLog2V(lanes, clamp: clamp)
        for lane in 0..<16 {
          let exact = stableSigmoid(-Double(lanes[lane]) / M_LOG2E)
          worst[c] = max(worst[c], abs(Double(s[lane]) - exact) / exact)
        }
      }
      u += 0.0251
    }
    #expect(worst[0] <= 3e-7 && worst[1] <= 3e-7, "worst relative errors (unclamped, clamped) \(worst)")
    let extremes: [Float] = [-.infinity, -1e30, -200, -127, -126, 0, 126, 127, 200, 1e30, .infinity, 3e38, -3e38, 1, 2, 3]
    let s = sigmoidOfNegativeLog2V(SIMD16<Float>(extremes), clamp: true)
    for lane in 0..<16 {
      #expect(s[lane].isFinite && s[lane] >= 0 && s[lane] <= 1, "σ from u = \(extremes[lane]): \(s[lane])")
      if extremes[lane] <= -126 { #expect(s[lane] == 1) }
      if extremes[lane] >= 126 { #expect(s[lane] <= 1.2e-38) }
    }
  }

  /// The indexer score kernel (non-causal, all heads) against float64 Σ_j w_j·σ(b_j + q·k) on both
  /// sigmoid paths: small biases (|u| bounded: the kernel skips the clamp) and biases of ±150
  /// (|z| > 87: the clamp decides), for head counts with and without a specialised loop.
  @Test(arguments: [1, 2, 3, 4], [false, true])
  func indexerScoresMatchReferenceOnBothSigmoidPaths(heads H: Int, largeBias: Bool) {
    let rng = GSLRandom(seed: 61 + UInt64(H))
    let L = 37, d = 16, rows = roundUp(L, indexerRows), keyStride = roundUp(L, 16)
    var q = [Float](repeating: 0, count: rows * H * d)
    for i in 0..<(L * H * d) { q[i] = Float(rng.gaussian(sigma: 0.25)) }
    let keys = (0..<(L * d)).map { _ in Float(rng.gaussian()) }
    var kT = [Float](repeating: 0, count: d * keyStride)
    for s in 0..<L { for x in 0..<d { kT[(s / 16) * d * 16 + x * 16 + s % 16] = keys[s * d + x] } }
    var w = [Float](repeating: 0, count: rows * H)
    for i in 0..<(L * H) { w[i] = Float(rng.uniform()) }
    let b: [Float] = (0..<H).map { j in largeBias ? (j % 2 == 0 ? 150 : -150) : Float(rng.gaussian()) }
    var bias = b
    var scores = [Float](repeating: .nan, count: rows * keyStride)
    let bounded = q.withUnsafeBufferPointer { qp in
      kT.withUnsafeMutableBufferPointer { kp in
        w.withUnsafeBufferPointer { wp in
          bias.withUnsafeMutableBufferPointer { bp in
            scores.withUnsafeMutableBufferPointer { out in
              let inputs = IndexerInputs(
                queries: qp.baseAddress!, rows: rows, keysT: kp.baseAddress!, keyStride: keyStride, weights: wp.baseAddress!,
                bias: bp.baseAddress!, heads: H, dim: d, relu: false)
              _ = scoreQueryBlock(inputs, t0: 0, rows: rows, length: L, causal: false, into: out.baseAddress!)
              return inputs.argumentsBounded
            }
          }
        }
      }
    }
    #expect(bounded == !largeBias, "seed \(61 + H): argumentsBounded")
    var worst = 0.0
    for t in 0..<L {
      for s in 0..<L {
        var ref = 0.0
        for j in 0..<H {
          var z = Double(b[j])
          for x in 0..<d { z += Double(q[(t * H + j) * d + x]) * Double(keys[s * d + x]) }
          ref += Double(w[t * H + j]) * stableSigmoid(z)
        }
        worst = max(worst, abs(Double(scores[t * keyStride + s]) - ref))
      }
    }
    #expect(worst <= 2e-6 * Double(H), "seed \(61 + H), H \(H), large bias \(largeBias): worst absolute error \(worst)")
  }
}

/// Worst absolute error of a sparse-core output (row-major L × H × d) over the (query, head)s of
/// `queries`, against float64: softmax over each query's selected keys of q·k, weighted values;
/// head h reads kv group h / (H/H_kv) of the row-major L × (H_kv·d) keys and values.
/// The sparse core on standard normal K, V and queries scaled by 1/√d (drawn from `rng`) with
/// `selection`: its output, the worst absolute error against float64 over the queries with a
/// non-empty selection, and whether its attention bucket (useful and executed) equals
/// Σ_t `softmaxRowCounts(k_t)` · H.
private func runSparseCore(
  selection: SelectionSets, length L: Int, heads H: Int, kvHeads Hkv: Int, headDim d: Int, rng: GSLRandom
) -> (output: [Float], worstError: Double, countsMatch: Bool) {
  let q = rng.gaussianMatrix(rows: L, cols: H * d, scale: 1 / Double(d).squareRoot()).map(Float.init)
  let keys = rng.gaussianMatrix(rows: L, cols: Hkv * d, scale: 1).map(Float.init)
  let values = rng.gaussianMatrix(rows: L, cols: Hkv * d, scale: 1).map(Float.init)
  var ledger = FlopLedger()
  let out = runAttentionKernel(
    queries: q, keys: keys, values: values, keyStride: L, heads: H, kvHeads: Hkv, headDim: d, outputCount: L * H * d
  ) { inputs, output, l in
    sparseAttention(inputs, selection: selection, length: L, output: output, ledger: &l)
    ledger = l
  }
  let worst = worstSparseError(
    out, queries: q, keys: keys, values: values, selection: selection, heads: H, kvHeads: Hkv, headDim: d,
    at: (0..<L).filter { selection.counts[$0] > 0 })
  let expected = selection.counts.reduce(FlopCounts()) { $0 + softmaxRowCounts(keys: $1, headDim: d).times(H) }
  return (out, worst, ledger.useful[.attention] == expected && ledger.executed[.attention] == expected)
}

private func worstSparseError(
  _ out: [Float], queries q: [Float], keys: [Float], values: [Float], selection: SelectionSets, heads H: Int,
  kvHeads Hkv: Int, headDim d: Int, at queries: [Int]
) -> Double {
  var worst = 0.0
  for t in queries {
    let sel = selection.indices[selection.offsets[t]..<(selection.offsets[t] + selection.counts[t])].map(Int.init)
    for h in 0..<H {
      let g = h / (H / Hkv)
      let scores = sel.map { s in (0..<d).reduce(0.0) { $0 + Double(q[(t * H + h) * d + $1]) * Double(keys[(s * Hkv + g) * d + $1]) } }
      let m = scores.max()!
      let weights = scores.map { Foundation.exp($0 - m) }
      let total = weights.reduce(0, +)
      for x in 0..<d {
        var ref = 0.0
        for (i, s) in sel.enumerated() { ref += weights[i] / total * Double(values[(s * Hkv + g) * d + x]) }
        worst = max(worst, abs(Double(out[(t * H + h) * d + x]) - ref))
      }
    }
  }
  return worst
}

/// Runs an attention kernel on `AttentionInputs` over these arrays, with `keys` and `values` in
/// both the dense slots (`keysT`, `valuesByHead`: pass them packed) and the sparse ones; returns
/// the output, which starts as NaNs so that an unwritten element fails the caller's comparison.
private func runAttentionKernel(
  queries: [Float], keys: [Float], values: [Float], keyStride: Int, heads: Int, kvHeads: Int, headDim: Int,
  outputCount: Int, _ kernel: (AttentionInputs, UnsafeMutablePointer<Float>, inout FlopLedger) -> Void
) -> [Float] {
  var out = [Float](repeating: .nan, count: outputCount)
  var ledger = FlopLedger()
  queries.withUnsafeBufferPointer { qp in
    keys.withUnsafeBufferPointer { kp in
      values.withUnsafeBufferPointer { vp in
        out.withUnsafeMutableBufferPointer { op in
          let inputs = AttentionInputs(
            queries: qp.baseAddress!, keysT: kp.baseAddress!, valuesByHead: vp.baseAddress!, keys: kp.baseAddress!,
            values: vp.baseAddress!, keyStride: keyStride, heads: heads, kvHeads: kvHeads, headDim: headDim)
          kernel(inputs, op.baseAddress!, &ledger)
        }
      }
    }
  }
  return out
}
