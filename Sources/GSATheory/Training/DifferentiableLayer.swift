import Foundation
import GSAModel

/// The selected key sets S_t of one sequence: `sets[t]` lists the keys query t attends to,
/// ascending.
public struct Selection: Sendable, Hashable {
  public var sets: [[Int]]
  public init(sets: [[Int]]) { self.sets = sets }

  /// Number of queries whose set differs from `other`'s.
  public func changedQueries(from other: Selection) -> Int {
    zip(sets, other.sets).reduce(0) { $0 + ($1.0 == $1.1 ? 0 : 1) }
  }
}

/// A float64 forward and backward pass of GSA and its three baselines, for small sizes.
///
/// **Assumption (stated in every output that uses it): the selection S_t is held fixed
/// within a step.** Top-k is piecewise constant in its inputs, so the loss restricted to a
/// fixed S_t is smooth, and the gradient below is the gradient of that restriction. The
/// indexer weights therefore receive no gradient (the loss does not depend on them while
/// S_t is fixed); the input h still does (through Q, K, V and the gates).
///
/// Forward pass (GSA-THEORY.md §2), per sequence of L tokens h_t ∈ ℝ^D:
/// Q = hW_Q, K = hW_K, V = hW_V, RoPE on Q and K; V' = V ⊙ σ(hW_V^g + b_V^g) (gated);
/// z_{t,s} = Q_t·K_s/√d_h, A_t = softmax over s ∈ S_t; O_t = Σ A_{t,s} V'_s;
/// O^g_t = O_t ⊙ σ(h_t W_O^g + b_O) (gated); u_t = O^g_t W_O.
/// Dense variants use S_t = {s ≤ t}; sparse variants S_t = Top-k_t of the indexer scores
/// with k_t = min(k_base, t + 1) (the adaptive-k rule is not modelled: every bound below
/// holds for any non-empty S_t).
public struct DifferentiableLayer: Sendable {
  public var parameters: LayerParameters
  public var config: LayerConfig { parameters.config }
  public var variant: Variant { parameters.variant }

  public init(parameters: LayerParameters) { self.parameters = parameters }

  var valueGated: Bool { variant.isGated && config.valueGate }
  var outputGated: Bool { variant.isGated && config.outputGate }

  /// Everything the backward pass needs from the forward pass of one sequence.
  public struct Tape: Sendable {
    public let length: Int
    public let input: [Double]
    /// Q and K after RoPE.
    let q: [Double], k: [Double], v: [Double]
    let valueGate: [Double], valuePrime: [Double]
    let outputGate: [Double]
    let attentionOutput: [Double], gatedOutput: [Double]
    /// probabilities[h][t][i]: A_{t, S_t[i]} of head h.
    public let probabilities: [[[Double]]]
    public let selection: Selection
    /// The layer output u (L × D).
    public let output: [Double]
  }

  // MARK: selection

  /// The indexer scores I_{t,s} (L × L, row t, entries s outside the candidate set are −∞).
  ///
  /// GSA: I_{t,s} = Σ_j σ(h_t W^{Iw}_j + c_j)·σ(λ q^I_{t,j}·k^I_s + b_j);
  /// sparse-only (DSA-style): I_{t,s} = Σ_j σ(h_t W^{Iw}_j + c_j)·ReLU(λ q^I_{t,j}·k^I_s + b_j)
  /// (the head weights keep the sigmoid, as in `GSAModel.LayerConfig.configured(for:)`);
  /// λ = 1/√d_I when `indexerScale`, else 1.
  public func indexerScores(_ x: [Double], length l: Int) -> [Double] {
    let c = config
    let d = c.modelDim, hi = c.indexerHeads, di = c.indexerDim
    let qi = matmul(x, parameters[.wIQ], l, d, hi * di)
    let ki = matmul(x, parameters[.wIK], l, d, di)
    var w = matmul(x, parameters[.wIW], l, d, hi)
    let biw = parameters[.bIW], bi = parameters[.bI]
    let gsa = variant == .gsa
    for t in 0..<l { for j in 0..<hi { w[t * hi + j] = sigmoid(w[t * hi + j] + biw[j]) } }
    let scale = c.indexerScale ? 1 / Double(di).squareRoot() : 1
    var scores = [Double](repeating: -.infinity, count: l * l)
    for t in 0..<l {
      for s in 0..<(c.causal ? t + 1 : l) {
        var total = 0.0
        for j in 0..<hi {
          var dot = 0.0
          for e in 0..<di { dot += qi[t * hi * di + j * di + e] * ki[s * di + e] }
          let pre = scale * dot + bi[j]
          total += w[t * hi + j] * (gsa ? sigmoid(pre) : max(0, pre))
        }
        scores[t * l + s] = total
      }
    }
    return scores
  }

  /// S_t for every query: all candidates (dense variants) or the k_t = min(k_base, #candidates)
  /// highest indexer scores, ties to the earlier key.
  public func selection(_ x: [Double], length l: Int) -> Selection {
    let candidates = { (t: Int) in self.config.causal ? t + 1 : l }
    guard variant.isSparse else { return Selection(sets: (0..<l).map { Array(0..<candidates($0)) }) }
    let scores = indexerScores(x, length: l)
    var sets: [[Int]] = []
    for t in 0..<l {
      let n = candidates(t)
      let kt = min(max(config.kBase, 1), n)
      let order = (0..<n).sorted { a, b in
        let sa = scores[t * l + a], sb = scores[t * l + b]
        return sa != sb ? sa > sb : a < b
      }
      sets.append(order.prefix(kt).sorted())
    }
    return Selection(sets: sets)
  }

  /// The smallest gap between the k_t-th and (k_t+1)-th indexer score over queries that drop
  /// at least one candidate: how far the scores can move before some S_t changes (∞ when no
  /// query drops a candidate, e.g. dense variants).
  public func selectionMargin(_ x: [Double], length l: Int) -> Double {
    guard variant.isSparse else { return .infinity }
    let scores = indexerScores(x, length: l)
    var margin = Double.infinity
    for t in 0..<l {
      let n = config.causal ? t + 1 : l
      let kt = min(max(config.kBase, 1), n)
      guard kt < n else { continue }
      let sorted = (0..<n).map { scores[t * l + $0] }.sorted(by: >)
      margin = min(margin, sorted[kt - 1] - sorted[kt])
    }
    return margin
  }

  // MARK: RoPE

  /// RoPE in the half-split convention of `GSAModel.AttentionLayer`/`ReferenceAttention`:
  /// component i pairs with i + ⌊d_h/2⌋, rotated by t·θ^(−2i/d_h); for odd d_h the last
  /// component is unrotated. `inverse` rotates back (the transpose, used by the backward pass).
  func rope(_ m: inout [Double], length l: Int, heads: Int, inverse: Bool = false) {
    let dh = config.headDim
    let width = heads * dh
    let half = dh / 2
    for t in 0..<l {
      for i in 0..<half {
        let angle = Double(t) * pow(config.ropeBase, -2 * Double(i) / Double(dh)) * (inverse ? -1 : 1)
        let cs = cos(angle), sn = sin(angle)
        for h in 0..<heads {
          let base = t * width + h * dh + i
          let a = m[base], b = m[base + half]
          m[base] = a * cs - b * sn
          m[base + half] = a * sn + b * cs
        }
      }
    }
  }

  // MARK: forward

  /// An element-wise gate (G2 on the values, G1 on the attention output): σ(x·W + b), L × width
  /// with width = `target.count / L`, and target ⊙ it.
  private func gate(
    _ x: [Double], length l: Int, _ weight: LayerTensor, _ bias: LayerTensor, on target: [Double]
  )
    -> (gate: [Double], gated: [Double])
  {
    let width = target.count / l
    var g = matmul(x, parameters[weight], l, config.modelDim, width)
    let b = parameters[bias]
    for t in 0..<l { for e in 0..<width { g[t * width + e] = sigmoid(g[t * width + e] + b[e]) } }
    return (g, zip(target, g).map { $0 * $1 })
  }

  /// The forward pass of one sequence `x` (L × D, row-major). With `selection` nil the
  /// selection is computed from the indexer; otherwise the given S_t is used (held fixed).
  public func forward(_ x: [Double], length l: Int, selection given: Selection? = nil) -> Tape {
    let c = config
    let d = c.modelDim, h = c.heads, hkv = c.kvHeads, dh = c.headDim
    precondition(x.count == l * d, "input must be L × D")
    precondition(h % hkv == 0, "H must be a multiple of H_kv")
    let group = h / hkv
    let selection = given ?? selection(x, length: l)
    var q = matmul(x, parameters[.wQ], l, d, h * dh)
    var k = matmul(x, parameters[.wK], l, d, hkv * dh)
    let v = matmul(x, parameters[.wV], l, d, hkv * dh)
    rope(&q, length: l, heads: h)
    rope(&k, length: l, heads: hkv)
    let (valueGate, valuePrime) = valueGated ? gate(x, length: l, .wGateV, .bGateV, on: v) : ([], v)
    let scale = 1 / Double(dh).squareRoot()
    var o = [Double](repeating: 0, count: l * h * dh)
    var probabilities: [[[Double]]] = []
    for head in 0..<h {
      let g = head / group
      var perQuery: [[Double]] = []
      for t in 0..<l {
        let set = selection.sets[t]
        var z = set.map { s -> Double in
          var dot = 0.0
          for e in 0..<dh { dot += q[t * h * dh + head * dh + e] * k[s * hkv * dh + g * dh + e] }
          return scale * dot
        }
        let zmax = z.max() ?? 0
        var total = 0.0
        for i in 0..<z.count { z[i] = Foundation.exp(z[i] - zmax); total += z[i] }
        for i in 0..<z.count { z[i] /= total }
        for (i, s) in set.enumerated() {
          for e in 0..<dh { o[t * h * dh + head * dh + e] += z[i] * valuePrime[s * hkv * dh + g * dh + e] }
        }
        perQuery.append(z)
      }
      probabilities.append(perQuery)
    }
    let (outputGate, gated) = outputGated ? gate(x, length: l, .wGateO, .bGateO, on: o) : ([], o)
    let u = matmul(gated, parameters[.wO], l, h * dh, d)
    return Tape(
      length: l, input: x, q: q, k: k, v: v, valueGate: valueGate, valuePrime: valuePrime, outputGate: outputGate,
      attentionOutput: o, gatedOutput: gated, probabilities: probabilities, selection: selection, output: u)
  }

  // MARK: backward

  /// Backward through an element-wise sigmoid gate y = z ⊙ σ(x·W + b) (G1 on the attention
  /// output, G2 on the values), given ∂loss/∂y = `upstream` (L × width): stores ∂/∂W and ∂/∂b in
  /// `grads`, adds ∂/∂x to `inputGradient`, returns ∂loss/∂z = upstream ⊙ σ.
  /// With a = x·W + b: ∂loss/∂a = upstream ⊙ z ⊙ σ(1 − σ); ∂/∂W = xᵀ·∂a, ∂/∂b = Σ_t ∂a_t, ∂/∂x = ∂a·Wᵀ.
  private func backwardThroughGate(
    _ upstream: [Double], ungated z: [Double], gate: [Double], width: Int, weight: LayerTensor, bias: LayerTensor,
    input x: [Double], length l: Int, grads: inout LayerGradients, inputGradient dx: inout [Double]
  ) -> [Double] {
    let d = config.modelDim
    var dPre = [Double](repeating: 0, count: l * width)
    var dz = upstream
    for i in 0..<upstream.count {
      dPre[i] = upstream[i] * z[i] * gate[i] * (1 - gate[i])
      dz[i] = upstream[i] * gate[i]
    }
    var dW = [Double](repeating: 0, count: d * width)
    addMatmulTransA(&dW, x, dPre, l, d, width)
    grads[weight] = dW
    grads[bias] = (0..<width).map { e in (0..<l).reduce(0) { $0 + dPre[$1 * width + e] } }
    addMatmulTransB(&dx, dPre, parameters[weight], l, width, d)
    return dz
  }

  /// Gradients of a scalar loss with ∂loss/∂u = `outputGradient` (L × D): w.r.t. every
  /// trainable tensor (indexer tensors are absent: zero with S_t fixed) and w.r.t. the input.
  public func backward(_ tape: Tape, outputGradient du: [Double]) -> (weights: LayerGradients, input: [Double]) {
    let c = config
    let l = tape.length
    let d = c.modelDim, h = c.heads, hkv = c.kvHeads, dh = c.headDim
    let group = h / hkv
    let x = tape.input
    var grads: LayerGradients = [:]
    var dx = [Double](repeating: 0, count: l * d)

    var dWo = [Double](repeating: 0, count: h * dh * d)
    addMatmulTransA(&dWo, tape.gatedOutput, du, l, h * dh, d)
    grads[.wO] = dWo
    var dGated = [Double](repeating: 0, count: l * h * dh)
    addMatmulTransB(&dGated, du, parameters[.wO], l, d, h * dh)

    let dO =
      outputGated
      ? backwardThroughGate(
        dGated, ungated: tape.attentionOutput, gate: tape.outputGate, width: h * dh, weight: .wGateO, bias: .bGateO,
        input: x, length: l, grads: &grads, inputGradient: &dx)
      : dGated

    let scale = 1 / Double(dh).squareRoot()
    var dq = [Double](repeating: 0, count: l * h * dh)
    var dk = [Double](repeating: 0, count: l * hkv * dh)
    var dValuePrime = [Double](repeating: 0, count: l * hkv * dh)
    for head in 0..<h {
      let g = head / group
      for t in 0..<l {
        let set = tape.selection.sets[t]
        let p = tape.probabilities[head][t]
        let oRow = t * h * dh + head * dh
        // dp_s = dO_t · V'_s;  dV'_s += p_s dO_t
        var dp = [Double](repeating: 0, count: set.count)
        for (i, s) in set.enumerated() {
          let vRow = s * hkv * dh + g * dh
          var dot = 0.0
          for e in 0..<dh {
            dot += dO[oRow + e] * tape.valuePrime[vRow + e]
            dValuePrime[vRow + e] += p[i] * dO[oRow + e]
          }
          dp[i] = dot
        }
        // softmax: dz_s = p_s (dp_s − Σ_r p_r dp_r)
        var mean = 0.0
        for i in 0..<set.count { mean += p[i] * dp[i] }
        for (i, s) in set.enumerated() {
          let dz = p[i] * (dp[i] - mean) * scale
          let kRow = s * hkv * dh + g * dh
          for e in 0..<dh {
            dq[oRow + e] += dz * tape.k[kRow + e]
            dk[kRow + e] += dz * tape.q[oRow + e]
          }
        }
      }
    }

    let dv =
      valueGated
      ? backwardThroughGate(
        dValuePrime, ungated: tape.v, gate: tape.valueGate, width: hkv * dh, weight: .wGateV, bias: .bGateV,
        input: x, length: l, grads: &grads, inputGradient: &dx)
      : dValuePrime
    rope(&dq, length: l, heads: h, inverse: true)
    rope(&dk, length: l, heads: hkv, inverse: true)
    for (name, dm, width) in [(LayerTensor.wQ, dq, h * dh), (.wK, dk, hkv * dh), (.wV, dv, hkv * dh)] {
      var dW = [Double](repeating: 0, count: d * width)
      addMatmulTransA(&dW, x, dm, l, d, width)
      grads[name] = dW
      addMatmulTransB(&dx, dm, parameters[name], l, width, d)
    }
    return (grads, dx)
  }
}

/// A batch of sequences with regression targets and the mean squared-error loss
/// ℒ = (1/(2N)) Σ_{sequences, t} ‖u_t − y_t‖², N the total number of tokens.
public struct RegressionBatch: Sendable {
  public var inputs: [[Double]]
  public var targets: [[Double]]
  public var length: Int
  public init(inputs: [[Double]], targets: [[Double]], length: Int) {
    self.inputs = inputs
    self.targets = targets
    self.length = length
  }
  public var tokenCount: Int { inputs.count * length }
  /// max_t ‖h_t‖ over every token of every sequence.
  public func maxRowNorm(of rows: [[Double]], width: Int) -> Double {
    var best = 0.0
    for seq in rows {
      for t in 0..<(seq.count / width) {
        var s = 0.0
        for e in 0..<width { s += seq[t * width + e] * seq[t * width + e] }
        best = max(best, s.squareRoot())
      }
    }
    return best
  }
}

/// Loss, gradients and the selections used, for a layer on a regression batch.
public struct LossEvaluation: Sendable {
  public let loss: Double
  public let gradients: LayerGradients
  public let inputGradients: [[Double]]
  public let selections: [Selection]
  public let outputs: [[Double]]
}

extension DifferentiableLayer {
  /// ℒ and ∇ℒ on `batch`; with `selections` given, S_t is held at those sets.
  public func evaluate(_ batch: RegressionBatch, selections: [Selection]? = nil, wantGradient: Bool = true) -> LossEvaluation {
    let n = Double(batch.tokenCount)
    var loss = 0.0
    var grads: LayerGradients = [:]
    var dxs: [[Double]] = []
    var used: [Selection] = []
    var outputs: [[Double]] = []
    for (b, x) in batch.inputs.enumerated() {
      let tape = forward(x, length: batch.length, selection: selections?[b])
      used.append(tape.selection)
      outputs.append(tape.output)
      var du = tape.output
      for i in 0..<du.count {
        let r = tape.output[i] - batch.targets[b][i]
        loss += 0.5 * r * r / n
        du[i] = r / n
      }
      guard wantGradient else { continue }
      let (g, dx) = backward(tape, outputGradient: du)
      for (name, value) in g {
        if var acc = grads[name] {
          for i in 0..<acc.count { acc[i] += value[i] }
          grads[name] = acc
        } else {
          grads[name] = value
        }
      }
      dxs.append(dx)
    }
    return LossEvaluation(loss: loss, gradients: grads, inputGradients: dxs, selections: used, outputs: outputs)
  }

  /// The gradient as one vector in `parameters.flattened()` order.
  public func flatGradient(_ g: LayerGradients) -> [Double] {
    parameters.trainable.flatMap { g[$0] ?? [Double](repeating: 0, count: $0.count(config)) }
  }
}
