import Foundation
import GSLKit

/// A small, naive float64 GSA layer that the checks use as their brute-force reference.
///
/// It follows GSA-THEORY.md §2 with H_kv = H (no GQA sharing: it changes no bound), no RoPE
/// (a per-position orthogonal rotation of Q and K: it changes no norm, no bound and no
/// selection statistics the checks measure), and hooks the checks need: fixed selections,
/// switchable gates, the ReLU (DSA) or gated-sigmoid indexer, with or without 1/√d_I.
///
/// Weights are row-major `fanIn × fanOut`; a token is a row vector, so `y = h W`.
struct ClaimLayer {
  enum Indexer { case gatedSigmoid, relu }

  var modelDim: Int
  var heads: Int
  var headDim: Int
  var indexerHeads: Int
  var indexerDim: Int
  var wQ: [Double], wK: [Double], wV: [Double]  // D × H·d_h
  var wO: [Double]  // H·d_h × D
  var wValueGate: [Double], valueGateBias: Double  // D × H·d_h
  var wOutputGate: [Double], outputGateBias: Double  // D × H·d_h
  var wIndexQ: [Double]  // D × H_I·d_I
  var wIndexK: [Double]  // D × d_I
  var wIndexW: [Double]  // D × H_I
  var indexBias: [Double]  // b_j
  var indexWeightBias: [Double]  // c_j
  var valueGate = true
  var outputGate = true
  var indexer = Indexer.gatedSigmoid
  var indexerScale = true
  /// Multiplies both gates (1 in GSA; a test perturbation makes gates reach above 1).
  var gateScale = 1.0

  var width: Int { heads * headDim }

  /// Samples weights as the reference code initialises them [code]: Q/K/V/O and indexer q/k
  /// Xavier-uniform (gain 1, or `projectionGain`), gates and the indexer weight projection
  /// Xavier-uniform with gain 0.1, gate biases 0.5, indexer biases 0.
  static func sample(
    modelDim d: Int, heads h: Int, headDim dh: Int, indexerHeads hi: Int, indexerDim di: Int, random: GSLRandom,
    projectionGain: Double = 1, gateGain: Double = 0.1, gateBias: Double = 0.5
  ) -> ClaimLayer {
    let w = h * dh
    return ClaimLayer(
      modelDim: d, heads: h, headDim: dh, indexerHeads: hi, indexerDim: di,
      wQ: random.xavierUniformMatrix(fanIn: d, fanOut: w, gain: projectionGain),
      wK: random.xavierUniformMatrix(fanIn: d, fanOut: w, gain: projectionGain),
      wV: random.xavierUniformMatrix(fanIn: d, fanOut: w, gain: projectionGain),
      wO: random.xavierUniformMatrix(fanIn: w, fanOut: d, gain: projectionGain),
      wValueGate: random.xavierUniformMatrix(fanIn: d, fanOut: w, gain: gateGain), valueGateBias: gateBias,
      wOutputGate: random.xavierUniformMatrix(fanIn: d, fanOut: w, gain: gateGain), outputGateBias: gateBias,
      wIndexQ: random.xavierUniformMatrix(fanIn: d, fanOut: hi * di, gain: 1),
      wIndexK: random.xavierUniformMatrix(fanIn: d, fanOut: di, gain: 1),
      wIndexW: random.xavierUniformMatrix(fanIn: d, fanOut: hi, gain: 0.1),
      indexBias: Array(repeating: 0, count: hi), indexWeightBias: Array(repeating: 0, count: hi))
  }

  /// I_{t,s} for s ≤ t (row t has t + 1 entries): Σ_j w_{t,j}·σ(q_{t,j}·k_s·c + b_j) with
  /// w_{t,j} = σ(h_t W^{Iw}_j + c_j) (gated sigmoid), or Σ_j w_{t,j}·ReLU(q_{t,j}·k_s·c) (DSA);
  /// c = 1/√d_I when `indexerScale`.
  func indexerScores(_ h: [[Double]]) -> [[Double]] {
    let keys = h.map { Numerics.vecMat($0, wIndexK, rows: modelDim, cols: indexerDim) }
    let scale = indexerScale ? 1 / Double(indexerDim).squareRoot() : 1
    return h.indices.map { t in
      let q = Numerics.vecMat(h[t], wIndexQ, rows: modelDim, cols: indexerHeads * indexerDim)
      let wPre = Numerics.vecMat(h[t], wIndexW, rows: modelDim, cols: indexerHeads)
      let weights = (0..<indexerHeads).map { j in
        indexer == .gatedSigmoid ? Numerics.sigmoid(wPre[j] + indexWeightBias[j]) : wPre[j] + indexWeightBias[j]
      }
      return (0...t).map { s in
        var total = 0.0
        for j in 0..<indexerHeads {
          var dot = 0.0
          for i in 0..<indexerDim { dot += q[j * indexerDim + i] * keys[s][i] }
          switch indexer {
          case .gatedSigmoid: total += weights[j] * Numerics.sigmoid(dot * scale + indexBias[j])
          case .relu: total += weights[j] * max(0, dot * scale)
          }
        }
        return total
      }
    }
  }

  /// S_t = the `k` largest scores of row t (all of them when t + 1 ≤ k); ties to the earlier key.
  static func topK(_ scores: [[Double]], k: Int) -> [[Int]] {
    scores.map { row in
      Array(row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(k)).sorted()
    }
  }

  /// Every causal key: S_t = {0, …, t}.
  static func causalAll(length: Int) -> [[Int]] { (0..<length).map { Array(0...$0) } }

  struct Forward {
    /// O_t (concatenated heads, before G1), L × H·d_h.
    var attended: [[Double]]
    /// O^g_t (after G1), L × H·d_h.
    var gated: [[Double]]
    /// V'_s (after G2), L × H·d_h.
    var values: [[Double]]
    /// V_s (before G2), L × H·d_h.
    var rawValues: [[Double]]
    /// u_t = O^g_t W_O, L × D.
    var output: [[Double]]
    /// Attention weights per query and head over its selection.
    var weights: [[[Double]]]
  }

  /// The forward pass over the given selections S_t (held fixed; §2 steps 1, 2, 5–7).
  func forward(_ h: [[Double]], selection: [[Int]]) -> Forward {
    let q = h.map { Numerics.vecMat($0, wQ, rows: modelDim, cols: width) }
    let k = h.map { Numerics.vecMat($0, wK, rows: modelDim, cols: width) }
    let v = h.map { Numerics.vecMat($0, wV, rows: modelDim, cols: width) }
    let values: [[Double]] = h.indices.map { s in
      guard valueGate else { return v[s] }
      let pre = Numerics.vecMat(h[s], wValueGate, rows: modelDim, cols: width)
      return (0..<width).map { v[s][$0] * gateScale * Numerics.sigmoid(pre[$0] + valueGateBias) }
    }
    let scale = 1 / Double(headDim).squareRoot()
    var attended = [[Double]]()
    var gated = [[Double]]()
    var allWeights = [[[Double]]]()
    for t in h.indices {
      var o = [Double](repeating: 0, count: width)
      var headWeights = [[Double]]()
      for head in 0..<heads {
        let base = head * headDim
        let scores = selection[t].map { s in
          var dot = 0.0
          for i in 0..<headDim { dot += q[t][base + i] * k[s][base + i] }
          return dot * scale
        }
        let a = Numerics.softmax(scores)
        headWeights.append(a)
        for (position, s) in selection[t].enumerated() {
          for i in 0..<headDim { o[base + i] += a[position] * values[s][base + i] }
        }
      }
      attended.append(o)
      allWeights.append(headWeights)
      if outputGate {
        let pre = Numerics.vecMat(h[t], wOutputGate, rows: modelDim, cols: width)
        gated.append((0..<width).map { o[$0] * gateScale * Numerics.sigmoid(pre[$0] + outputGateBias) })
      } else {
        gated.append(o)
      }
    }
    let output = gated.map { Numerics.vecMat($0, wO, rows: width, cols: modelDim) }
    return Forward(attended: attended, gated: gated, values: values, rawValues: v, output: output, weights: allWeights)
  }

  /// A sequence of `length` tokens with i.i.d. N(0, scale²) entries (unit-RMS inputs at scale 1,
  /// as after RMSNorm).
  static func sequence(length: Int, modelDim: Int, random: GSLRandom, scale: Double = 1) -> [[Double]] {
    (0..<length).map { _ in (0..<modelDim).map { _ in random.gaussian(sigma: scale) } }
  }
}
