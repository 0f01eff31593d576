import Foundation

/// A naive float64 implementation of the same layer: straightforward loops, full L×L indexer
/// matrix, selection by a full sort. O(L²·D) time and O(L²) memory: small sizes only. The test
/// oracle for the float32 kernels (and for other checks).
///
/// Conventions identical to `AttentionLayer`: weights `in × out`, RoPE half-split with
/// θ^{−2i/d_h}, indexer I_{t,s} = Σ_j σ(h_t W^{Iw}_j + c_j)·act(q^I_{t,j}·k^I_s·[1/√d_I] + b_j),
/// top-k by (score descending, index ascending), softmax with 1/√d_h, gates when the variant is
/// gated and the config flag is on.
public struct ReferenceAttention: Sendable {
  public let config: LayerConfig
  public let variant: Variant
  public let weights: LayerWeights

  public init(config: LayerConfig, variant: Variant, weights: LayerWeights) {
    self.config = config
    self.variant = variant
    self.weights = weights
  }

  public struct Result: Sendable {
    /// u, L × D (row-major).
    public var output: [[Double]]
    /// I_{t,s} (−∞ for s > t when causal); nil for dense variants.
    public var indexerScores: [[Double]]?
    public var kPerQuery: [Int]
    /// S_t ascending (all candidates for dense variants).
    public var selected: [[Int]]
    public var variances: [Double]
  }

  private func matmul(_ x: [[Double]], _ w: Matrix, bias: Matrix? = nil) -> [[Double]] {
    x.map { row in
      (0..<w.cols).map { j in
        var s = bias.map { Double($0.storage[j]) } ?? 0
        for i in 0..<w.rows { s += row[i] * Double(w.storage[i * w.cols + j]) }
        return s
      }
    }
  }

  private func sigmoid(_ x: Double) -> Double { stableSigmoid(x) }

  private func rope(_ m: [[Double]], heads: Int) -> [[Double]] {
    let d = config.headDim, half = d / 2
    return m.enumerated().map { t, row in
      var out = row
      for h in 0..<heads {
        for i in 0..<half {
          let angle = Double(t) * pow(config.ropeBase, -2 * Double(i) / Double(d))
          let a = row[h * d + i], b = row[h * d + i + half]
          out[h * d + i] = a * cos(angle) - b * sin(angle)
          out[h * d + i + half] = b * cos(angle) + a * sin(angle)
        }
      }
      return out
    }
  }

  /// The full indexer matrix for h (L × D, as rows of doubles).
  public func indexerScores(_ x: [[Double]]) -> [[Double]] {
    let c = config
    let L = x.count
    let q = matmul(x, weights.wIQ)
    let k = matmul(x, weights.wIK)
    let w = matmul(x, weights.wIW, bias: weights.bIW).map { $0.map(sigmoid) }
    let scale = c.indexerScale ? 1 / Double(c.indexerDim).squareRoot() : 1
    return (0..<L).map { t in
      (0..<L).map { s in
        if c.causal && s > t { return -.infinity }
        var total = 0.0
        for j in 0..<c.indexerHeads {
          var dot = 0.0
          for e in 0..<c.indexerDim { dot += q[t][j * c.indexerDim + e] * k[s][e] }
          let z = dot * scale + Double(weights.bI.storage[j])
          total += w[t][j] * (c.indexerActivation == .relu ? max(z, 0) : sigmoid(z))
        }
        return total
      }
    }
  }

  /// Top-k of `scores[0..<n]` by (score descending, index ascending), returned ascending.
  public static func topK(_ scores: [Double], count n: Int, k: Int) -> [Int] {
    let order = (0..<n).sorted { a, b in scores[a] != scores[b] ? scores[a] > scores[b] : a < b }
    return Array(order.prefix(k)).sorted()
  }

  /// The forward pass; `selection` overrides the selected sets (to compare attention alone).
  public func forward(_ input: Matrix, selection: [[Int]]? = nil) -> Result {
    let c = config
    let L = input.rows
    let x = (0..<L).map { t in (0..<input.cols).map { Double(input[t, $0]) } }
    let H = c.heads, Hkv = c.kvHeads, d = c.headDim
    let group = H / Hkv
    let q = rope(matmul(x, weights.wQ), heads: H)
    let k = rope(matmul(x, weights.wK), heads: Hkv)
    var v = matmul(x, weights.wV)
    if variant.isGated && c.valueGate {
      let g = matmul(x, weights.wGateV, bias: weights.bGateV)
      for t in 0..<L { for i in 0..<v[t].count { v[t][i] *= sigmoid(g[t][i]) } }
    }
    var scores: [[Double]]? = nil
    var selected: [[Int]]
    var variances: [Double] = []
    if variant.isSparse {
      let I = indexerScores(x)
      scores = I
      var ks = [Int](repeating: 0, count: L)
      if c.kRule == .fixed {
        for t in 0..<L { ks[t] = min(c.kBase, c.candidateCount(query: t, length: L)) }
      } else {
        variances = (0..<L).map { t in
          let n = c.candidateCount(query: t, length: L)
          let N = c.kRule == .code ? L : n
          guard N > 1 else { return 0 }
          let values = (0..<N).map { $0 < n ? I[t][$0] : 0 }
          let mean = values.reduce(0, +) / Double(N)
          return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(N - 1)
        }
        let meanVariance = variances.reduce(0, +) / Double(L) + 1e-8
        for t in 0..<L {
          ks[t] = adaptiveBudget(
            rule: c.kRule, variance: variances[t], meanVariance: meanVariance, config: c,
            candidates: c.candidateCount(query: t, length: L))
        }
      }
      selected = (0..<L).map { t in Self.topK(I[t], count: c.candidateCount(query: t, length: L), k: ks[t]) }
    } else {
      selected = (0..<L).map { t in Array(0..<c.candidateCount(query: t, length: L)) }
    }
    if let selection { selected = selection }
    let scale = 1 / Double(d).squareRoot()
    var o = [[Double]](repeating: [Double](repeating: 0, count: H * d), count: L)
    for t in 0..<L {
      for h in 0..<H {
        let g = h / group
        let logits = selected[t].map { s in
          (0..<d).reduce(0.0) { $0 + q[t][h * d + $1] * k[s][g * d + $1] } * scale
        }
        let m = logits.max() ?? 0
        let e = logits.map { exp($0 - m) }
        let z = e.reduce(0, +)
        for (i, s) in selected[t].enumerated() {
          for e2 in 0..<d { o[t][h * d + e2] += e[i] / z * v[s][g * d + e2] }
        }
      }
    }
    if variant.isGated && c.outputGate {
      let g = matmul(x, weights.wGateO, bias: weights.bGateO)
      for t in 0..<L { for i in 0..<(H * d) { o[t][i] *= sigmoid(g[t][i]) } }
    }
    let u = matmul(o, weights.wO)
    return Result(output: u, indexerScores: scores, kPerQuery: selected.map(\.count), selected: selected, variances: variances)
  }
}
