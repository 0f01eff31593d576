import Foundation
import GSAModel
import GSLKit

/// Upper bounds on the spectral norms of the layer's matrices (‖W‖₂ = largest singular value).
public struct WeightNormBounds: Sendable, Hashable {
  public var query: Double, key: Double, value: Double, output: Double
  /// ‖W_V^g‖₂ and ‖W_O^g‖₂ (ignored by ungated variants).
  public var valueGate: Double, outputGate: Double

  public init(query: Double, key: Double, value: Double, output: Double, valueGate: Double = 0, outputGate: Double = 0) {
    self.query = query
    self.key = key
    self.value = value
    self.output = output
    self.valueGate = valueGate
    self.outputGate = outputGate
  }

  /// The spectral norms of `parameters` (GSL SVD), each multiplied by `slack` ≥ 1.
  public static func of(_ parameters: LayerParameters, slack: Double = 1) throws(GSLError) -> WeightNormBounds {
    let n = try parameters.spectralNorms()
    return WeightNormBounds(
      query: slack * n[.wQ]!, key: slack * n[.wK]!, value: slack * n[.wV]!, output: slack * n[.wO]!,
      valueGate: slack * (n[.wGateV] ?? 0), outputGate: slack * (n[.wGateO] ?? 0))
  }

  /// The component-wise maximum (a bound valid on the whole segment between two weight sets,
  /// since every norm is convex).
  public func union(_ o: WeightNormBounds) -> WeightNormBounds {
    WeightNormBounds(
      query: max(query, o.query), key: max(key, o.key), value: max(value, o.value), output: max(output, o.output),
      valueGate: max(valueGate, o.valueGate), outputGate: max(outputGate, o.outputGate))
  }

  /// True when every matrix of `parameters` has spectral norm ≤ its bound (up to `tolerance`).
  public func contains(_ parameters: LayerParameters, tolerance: Double = 1e-12) throws(GSLError) -> Bool {
    let actual = try WeightNormBounds.of(parameters)
    return actual.query <= query + tolerance && actual.key <= key + tolerance && actual.value <= value + tolerance
      && actual.output <= output + tolerance && actual.valueGate <= valueGate + tolerance
      && actual.outputGate <= outputGate + tolerance
  }
}

/// An upper bound β on the smoothness (gradient Lipschitz constant, ‖∇²ℒ‖₂) of the mean
/// squared-error loss through one layer, w.r.t. all trainable weights, and the descent-lemma
/// step 1/β. [rec]
///
/// **Assumptions.** The selection S_t is held fixed (the loss restricted to fixed S_t; top-k
/// itself is discontinuous). Every input row has ‖h_t‖ ≤ R, every target ‖y_t‖ ≤ R_y, and
/// the weights range over the convex set {‖W‖₂ ≤ given bound for each matrix} (gate
/// biases unrestricted). The indexer is not trainable (its gradient is zero with S_t fixed).
///
/// **Derivation** [rec]. ℒ(θ) = (1/N) Σ_t ½‖u_t(θ) − y_t‖², so
/// ∇²ℒ = (1/N) Σ_t (J_tᵀJ_t + Σ_i r_{t,i} ∇²u_{t,i}) with r_t = u_t − y_t and
/// ‖∇²ℒ‖ ≤ max_t (‖J_t‖² + ‖r_t‖·sup_{‖δ‖=1} ‖D²u_t[δ,δ]‖) (a symmetric form's norm is
/// attained on the diagonal). Along a unit direction δ (θ(ε) = θ + εδ, Σ‖δW‖_F² = 1)
/// write ẋ, ẍ for the first and second ε-derivatives, a_X = ‖δW_X‖_F per head block
/// (a_bX for biases), c = 1/√d_h, s₂ = max|σ''| = 1/(6√3). Per head, with ‖·‖ Euclidean:
/// 1. ‖Q_t‖ ≤ Rq, ‖K_s‖ ≤ Rk, ‖V_s‖ ≤ Rv (RoPE is orthogonal); Q̇ = h δW_Q (‖Q̇‖ ≤ R a_q),
///    Q̈ = 0, likewise K, V.
/// 2. Value gate γ = σ(p), p = hW_V^g + b: γ ∈ (0,1), ‖γ̇‖_∞ ≤ ¼(R a_gv + a_bv),
///    ‖γ̈‖_∞ ≤ s₂(R a_gv + a_bv)² ≤ s₂(R²+1)‖a‖². V' = V ⊙ γ: ‖V'‖ ≤ Rv,
///    ‖V̇'‖ ≤ R a_v + Rv·¼(R a_gv + a_bv), ‖V̈'‖ ≤ 2R a_v‖γ̇‖_∞ + Rv‖γ̈‖_∞.
/// 3. Scores z = cQ·K: |ż| ≤ Ż := cR²(k a_q + q a_k), |z̈| = 2c|Q̇·K̇| ≤ Z̈ := 2cR² a_q a_k.
/// 4. Softmax p over S_t (any non-empty S_t): ṗ_s = p_s u_s with u = ż − E_p ż;
///    p̈_s = p_s(u_s² − E u² + z̈_s − E z̈). O = Σ p_s V'_s, so by Cauchy–Schwarz with
///    E‖V' − EV'‖² ≤ (Rv)², Var(ż) ≤ Ż², Var(u²) ≤ (4Ż²)²/4 (Popoviciu, u² ∈ [0, 4Ż²]):
///    ‖Ȯ‖ ≤ Ż·Rv + max‖V̇'‖, ‖Ö‖ ≤ 2Ż²·Rv + Z̈·Rv + 2Ż·max‖V̇'‖ + max‖V̈'‖.
/// 5. Output gate η = σ(hW_O^g + b_O): O^g = O ⊙ η, ‖Ȯ^g‖ ≤ ‖Ȯ‖ + Rv·¼(R a_go + a_bo),
///    ‖Ö^g‖ ≤ ‖Ö‖ + 2‖Ȯ‖·¼(R a_go + a_bo) + Rv·s₂(R a_go + a_bo)².
/// 6. Every first-order bound is a non-negative linear form ℓ·a ≤ ‖ℓ‖·‖a‖ in the head's
///    perturbation vector a = (a_q, a_k, a_v, a_gv, a_bv, a_go, a_bo); every second-order
///    bound, using (ℓ·a)(m·a) ≤ ‖ℓ‖‖m‖‖a‖² and 2a_q a_k ≤ ‖a‖², is C₂‖a‖². So per head
///    ‖Ȯ^g_h‖ ≤ c₁‖a_h‖ and ‖Ö^g_h‖ ≤ C₂‖a_h‖². Key/value blocks are shared by r = H/H_kv
///    query heads, so Σ_h ‖a_h‖² ≤ r(1 − α²) with α = ‖δW_O‖_F.
/// 7. u = O^g W_O: u̇ = Ȯ^g W_O + O^g δW_O, ü = Ö^g W_O + 2Ȯ^g δW_O; ‖O^g‖ ≤ √H·Rv. Hence
///    ‖J_t‖ ≤ J := √(o²·r·c₁² + H·(Rv)²) and ‖D²u_t[δ,δ]‖ ≤ H₂ := o·C₂·r + √r·c₁
///    (maximising over α² + β² = 1 with 2αβ ≤ 1), ‖r_t‖ ≤ ρ := √H·R·v·o + R_y.
/// 8. **β = J² + ρ·H₂**; the descent lemma then gives ℒ(θ − η∇ℒ) ≤ ℒ(θ) − (η/2)‖∇ℒ‖²
///    for η ≤ 1/β, as long as the segment stays in the norm set.
/// Ungated variants drop the gate terms (γ ≡ η ≡ 1); sparse variants have the same bound as
/// their dense counterparts, since every step above holds for any non-empty S_t.
///
/// Mathematical properties: β is monotone non-decreasing in R, R_y and every norm bound;
/// gated β ≥ ungated β at equal norms (more parameter directions, gates ≤ 1).
public struct SmoothnessBound: Sendable {
  public let variant: Variant
  public let inputNorm: Double
  public let targetNorm: Double
  public let norms: WeightNormBounds
  /// c₁ (per-head first-order coefficient), C₂ (per-head second-order coefficient).
  public let firstOrder: Double, secondOrder: Double
  /// J (Jacobian bound), H₂ (output curvature bound), ρ (residual bound).
  public let jacobian: Double, curvature: Double, residual: Double
  /// β = J² + ρ·H₂.
  public let beta: Double
  /// The descent-lemma step 1/β.
  public var stepSize: Double { 1 / beta }

  public static let sigmoidSecondDerivativeBound = 1 / (6 * 3.0.squareRoot())

  public init(config: LayerConfig, variant: Variant, inputNorm r: Double, targetNorm ry: Double, norms: WeightNormBounds) {
    self.variant = variant
    self.inputNorm = r
    self.targetNorm = ry
    self.norms = norms
    let valueGated = variant.isGated && config.valueGate
    let outputGated = variant.isGated && config.outputGate
    let c = 1 / Double(config.headDim).squareRoot()
    let s2 = Self.sigmoidSecondDerivativeBound
    let q = norms.query, k = norms.key, v = norms.value, o = norms.output
    let rv = r * v
    // Linear forms over a = (a_q, a_k, a_v, a_gv, a_bv, a_go, a_bo).
    func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
    func add(_ x: [Double], _ y: [Double], _ f: Double = 1) -> [Double] { zip(x, y).map { $0 + f * $1 } }
    let zDot = [c * r * r * k, c * r * r * q, 0, 0, 0, 0, 0]
    let zDDot = c * r * r  // |z̈| ≤ 2cR²a_q a_k ≤ cR²‖a‖²
    let gammaDot = valueGated ? [0, 0, 0, 0.25 * r, 0.25, 0, 0] : [Double](repeating: 0, count: 7)
    let gammaDDot = valueGated ? s2 * (r * r + 1) : 0
    let vPrimeDot = add([0, 0, r, 0, 0, 0, 0], gammaDot, rv)
    let vPrimeDDot = 2 * r * norm(gammaDot) + rv * gammaDDot
    let oDot = add(vPrimeDot, zDot, rv)
    let oDDot = 2 * norm(zDot) * norm(zDot) * rv + zDDot * rv + 2 * norm(zDot) * norm(vPrimeDot) + vPrimeDDot
    let etaDot = outputGated ? [0, 0, 0, 0, 0, 0.25 * r, 0.25] : [Double](repeating: 0, count: 7)
    let etaDDot = outputGated ? s2 * (r * r + 1) : 0
    let gatedDot = add(oDot, etaDot, rv)
    let c1 = norm(gatedDot)
    let c2 = oDDot + 2 * norm(oDot) * norm(etaDot) + rv * etaDDot
    let heads = Double(config.heads)
    let share = Double(config.heads / max(config.kvHeads, 1))
    firstOrder = c1
    secondOrder = c2
    jacobian = (o * o * share * c1 * c1 + heads * rv * rv).squareRoot()
    curvature = o * c2 * share + share.squareRoot() * c1
    residual = heads.squareRoot() * rv * o + ry
    beta = jacobian * jacobian + residual * curvature
  }

  /// β for the weights `parameters` themselves (norms × `slack`) on `batch`'s inputs/targets.
  public static func evaluate(
    _ parameters: LayerParameters, batch: RegressionBatch, slack: Double = 1
  ) throws(GSLError)
    -> SmoothnessBound
  {
    let d = parameters.config.modelDim
    return SmoothnessBound(
      config: parameters.config, variant: parameters.variant, inputNorm: batch.maxRowNorm(of: batch.inputs, width: d),
      targetNorm: batch.maxRowNorm(of: batch.targets, width: d), norms: try WeightNormBounds.of(parameters, slack: slack))
  }
}

/// The numerical check of β: gradient-difference ratios ‖∇ℒ(θ) − ∇ℒ(θ')‖/‖θ − θ'‖ over
/// GSL-sampled nearby points (S_t fixed at θ's selection), each compared with β computed
/// from norm bounds valid on the whole segment [θ, θ'].
public struct SmoothnessProbe: Sendable {
  public struct Sample: Sendable {
    public let radius: Double
    public let ratio: Double
    public let beta: Double
    public var tightness: Double { ratio / beta }
  }
  public let variant: Variant
  public let samples: [Sample]
  /// Largest ratio found by power iteration on finite differences of the gradient (an
  /// estimate of ‖∇²ℒ(θ)‖ at the base point, a lower bound on the true smoothness).
  public let powerIterationRatio: Double
  public let betaAtBase: Double
  public var maxRatio: Double { max(samples.map(\.ratio).max() ?? 0, powerIterationRatio) }
  /// max over samples of ratio/β (must be ≤ 1 for the bound to hold).
  public var maxTightness: Double {
    max(samples.map(\.tightness).max() ?? 0, powerIterationRatio / betaAtBase)
  }
  public var violations: Int { samples.filter { $0.ratio > $0.beta }.count }

  /// Probes `parameters` on `batch`: `samples` random directions (Gaussian, scaled so that
  /// ‖θ − θ'‖ = radius·‖θ‖ for radii cycling through `radii`) plus `powerSteps` steps of
  /// power iteration on the Hessian.
  public static func run(
    _ parameters: LayerParameters, batch: RegressionBatch, rng: GSLRandom, samples: Int = 8,
    radii: [Double] = [1e-3, 1e-2, 1e-1], powerSteps: Int = 8
  ) throws(GSLError) -> SmoothnessProbe {
    let base = DifferentiableLayer(parameters: parameters)
    let baseEval = base.evaluate(batch)
    let fixed = baseEval.selections
    let g0 = base.flatGradient(baseEval.gradients)
    let theta = parameters.flattened()
    let thetaNorm = euclideanNorm(theta)
    let baseBeta = try SmoothnessBound.evaluate(parameters, batch: batch).beta
    let d = parameters.config.modelDim
    let r = batch.maxRowNorm(of: batch.inputs, width: d)
    let ry = batch.maxRowNorm(of: batch.targets, width: d)
    let baseNorms = try WeightNormBounds.of(parameters)

    func gradient(at point: [Double]) -> (LayerParameters, [Double]) {
      var p = parameters
      p.setFlattened(point)
      let layer = DifferentiableLayer(parameters: p)
      return (p, layer.flatGradient(layer.evaluate(batch, selections: fixed).gradients))
    }

    var result: [Sample] = []
    for i in 0..<samples {
      let radius = radii[i % radii.count]
      var direction = theta.map { _ in rng.gaussian() }
      let scale = radius * thetaNorm / euclideanNorm(direction)
      direction = direction.map { $0 * scale }
      let other = zip(theta, direction).map { $0 + $1 }
      let (p, g) = gradient(at: other)
      let ratio = euclideanNorm(zip(g, g0).map { $0 - $1 }) / euclideanNorm(direction)
      let norms = baseNorms.union(try WeightNormBounds.of(p))
      let beta = SmoothnessBound(config: parameters.config, variant: parameters.variant, inputNorm: r, targetNorm: ry, norms: norms).beta
      result.append(Sample(radius: radius, ratio: ratio, beta: beta))
    }
    // Power iteration: v ← (∇ℒ(θ + εv) − ∇ℒ(θ))/ε, normalised.
    var v = theta.map { _ in rng.gaussian() }
    var estimate = 0.0
    let epsilon = 1e-6 * max(thetaNorm, 1)
    for _ in 0..<powerSteps {
      let n = euclideanNorm(v)
      v = v.map { $0 / n }
      let (_, g) = gradient(at: zip(theta, v).map { $0 + epsilon * $1 })
      let hv = zip(g, g0).map { ($0 - $1) / epsilon }
      estimate = euclideanNorm(hv)
      v = hv
    }
    return SmoothnessProbe(variant: parameters.variant, samples: result, powerIterationRatio: estimate, betaAtBase: baseBeta)
  }
}
