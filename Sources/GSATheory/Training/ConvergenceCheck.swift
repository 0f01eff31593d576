import Foundation
import GSAModel
import GSLKit

/// The paper's convergence statement in its standard non-convex form [3p][rec], checked on one
/// layer: if ℒ ≥ ℒ* and ℒ is β-smooth on a set the iterates stay in, gradient descent with
/// η ≤ 1/β decreases ℒ monotonically and min_{t<T} ‖∇ℒ(θ_t)‖² ≤ 2(ℒ(θ_0) − ℒ*)/(η·T).
///
/// The task is synthetic regression: B sequences of L tokens with rows of norm exactly R
/// (Gaussian directions), targets y = teacher(h) for a fixed random teacher layer of the same
/// variant. **S_t is held fixed within a step** (the smoothness bound is for the loss restricted
/// to fixed S_t); the run recomputes S_t after every step and reports whether it changed.
public enum ConvergenceCheck {
  public struct Settings: Sendable {
    public var config: LayerConfig
    public var variant: Variant
    /// The step size η; nil uses the theorem's step 1/β.
    public var learningRate: Double?
    public var steps: Int
    public var sequences: Int
    public var length: Int
    /// R: every input row has norm exactly R.
    public var inputNorm: Double
    /// The weight-norm set is {‖W‖₂ ≤ slack·‖W_0‖₂} for each matrix.
    public var normSlack: Double
    /// An absolute bound on every matrix's spectral norm; overrides `normSlack` when set.
    public var normBound: Double? = nil
    /// Xavier gain of the teacher's Q/K/V/O.
    public var teacherGain: Double
    public var seed: UInt64

    public init(
      config: LayerConfig, variant: Variant, learningRate: Double? = nil, steps: Int = 200, sequences: Int = 4, length: Int = 12,
      inputNorm: Double = 1, normSlack: Double = 1.5, teacherGain: Double = 1, seed: UInt64 = 42
    ) {
      self.config = config
      self.variant = variant
      self.learningRate = learningRate
      self.steps = steps
      self.sequences = sequences
      self.length = length
      self.inputNorm = inputNorm
      self.normSlack = normSlack
      self.teacherGain = teacherGain
      self.seed = seed
    }
  }

  /// One condition of the theorem: its value, the bound it must respect, and the margin
  /// (positive when satisfied).
  public struct Condition: Sendable {
    public let name: String
    public let value: Double
    public let bound: Double
    public let margin: Double
    public let satisfied: Bool
    public let detail: String
  }

  public struct Result: Sendable {
    public let settings: Settings
    public let bound: SmoothnessBound
    public let learningRate: Double
    public let conditions: [Condition]
    public let losses: [Double]
    public let gradientNormsSquared: [Double]
    /// Steps t with ℒ_{t+1} > ℒ_t (beyond 1e-12 relative rounding).
    public let increases: Int
    /// Steps violating the descent lemma ℒ_{t+1} ≤ ℒ_t − (η/2)‖∇ℒ_t‖² (beyond rounding).
    public let descentLemmaViolations: Int
    /// min_{t<T} ‖∇ℒ_t‖² and the bound 2(ℒ_0 − ℒ*)/(ηT) with ℒ* = 0 (the squared error's infimum bound).
    public let minGradientNormSquared: Double
    public let rateBound: Double
    /// The sharper telescoped bound 2(ℒ_0 − ℒ_T)/(ηT).
    public let telescopedRateBound: Double
    public let selectionChanges: Int
    public let initialSelectionMargin: Double
    public let maxNormRatio: Double
    /// Gradient-difference ratios at θ₀ (GSL-sampled nearby points, S_t fixed) and power
    /// iteration: how tight β is.
    public let probe: SmoothnessProbe
    /// Largest observed ratio / β (β of the slack norm set; ≤ 1 when the bound holds).
    public var tightness: Double { probe.maxRatio / bound.beta }

    /// All theorem conditions hold.
    public var conditionsSatisfied: Bool { conditions.allSatisfy(\.satisfied) }
    public var monotone: Bool { increases == 0 }
    public var rateHolds: Bool { minGradientNormSquared <= rateBound * (1 + 1e-12) }
    /// The theorem's conclusions hold (required whenever the conditions do).
    public var predictionsHold: Bool { monotone && rateHolds && descentLemmaViolations == 0 }
    /// The check passes when the conditions hold and so do the conclusions.
    public var satisfied: Bool { conditionsSatisfied && predictionsHold }
  }

  /// Inputs with rows of norm exactly `norm` (uniform directions from Gaussian draws).
  public static func inputs(rng: GSLRandom, sequences: Int, length: Int, dim: Int, norm: Double) -> [[Double]] {
    (0..<sequences).map { _ in
      var x = rng.gaussianMatrix(rows: length, cols: dim, scale: 1)
      for t in 0..<length {
        var s = 0.0
        for e in 0..<dim { s += x[t * dim + e] * x[t * dim + e] }
        let f = norm / max(s.squareRoot(), 1e-300)
        for e in 0..<dim { x[t * dim + e] *= f }
      }
      return x
    }
  }

  /// The synthetic task: inputs and a random teacher's outputs.
  public static func task(_ s: Settings, rng: GSLRandom) -> RegressionBatch {
    let teacherRng = rng.split()
    let dataRng = rng.split()
    let teacher = DifferentiableLayer(
      parameters: .random(config: s.config, variant: s.variant, rng: teacherRng, projectionGain: s.teacherGain))
    let x = inputs(rng: dataRng, sequences: s.sequences, length: s.length, dim: s.config.modelDim, norm: s.inputNorm)
    let y = x.map { teacher.forward($0, length: s.length).output }
    return RegressionBatch(inputs: x, targets: y, length: s.length)
  }

  /// The smoothness bound β (and the step size 1/β) of the run `run(s, initial:)` would make,
  /// without training: the task, the starting weights and their norm set only.
  public static func bound(_ s: Settings, initial: LayerParameters? = nil) throws(GSLError) -> SmoothnessBound {
    try setUp(s, initial: initial).bound
  }

  /// The deterministic start of a run: the seeded task, the student's starting weights, the
  /// weight-norm set and its smoothness bound; `rng` continues where they left it.
  private static func setUp(
    _ s: Settings, initial: LayerParameters?
  ) throws(GSLError) -> (rng: GSLRandom, batch: RegressionBatch, start: LayerParameters, norms: WeightNormBounds, bound: SmoothnessBound) {
    let rng = GSLRandom(seed: s.seed)
    let batch = task(s, rng: rng)
    let studentRng = rng.split()
    let start = initial ?? .random(config: s.config, variant: s.variant, rng: studentRng)
    let d = s.config.modelDim
    let gated = s.variant.isGated
    let norms: WeightNormBounds
    if let b = s.normBound {
      norms = WeightNormBounds(
        query: b, key: b, value: b, output: b, valueGate: gated && s.config.valueGate ? b : 0,
        outputGate: gated && s.config.outputGate ? b : 0)
    } else {
      norms = try WeightNormBounds.of(start, slack: s.normSlack)
    }
    let bound = SmoothnessBound(
      config: s.config, variant: s.variant, inputNorm: batch.maxRowNorm(of: batch.inputs, width: d),
      targetNorm: batch.maxRowNorm(of: batch.targets, width: d), norms: norms)
    return (rng, batch, start, norms, bound)
  }

  /// Runs the check. `initial` overrides the student's random initialisation (e.g. weights
  /// read from a safetensors file).
  public static func run(_ s: Settings, initial: LayerParameters? = nil) throws(GSLError) -> Result {
    let (rng, batch, start, norms, bound) = try setUp(s, initial: initial)
    let eta = s.learningRate ?? bound.stepSize

    let probe = try SmoothnessProbe.run(start, batch: batch, rng: rng.split(), samples: 6, radii: [1e-3, 1e-2, 1e-1], powerSteps: 10)
    var layer = DifferentiableLayer(parameters: start)
    let initialSelection = batch.inputs.map { layer.selection($0, length: s.length) }
    let margin = batch.inputs.map { layer.selectionMargin($0, length: s.length) }.min() ?? .infinity
    var losses: [Double] = []
    var gradSquares: [Double] = []
    var selectionChanges = 0
    var maxNormRatio = 0.0
    for step in 0...s.steps {
      let current = batch.inputs.map { layer.selection($0, length: s.length) }
      if current != initialSelection { selectionChanges += 1 }
      let evaluation = layer.evaluate(batch, selections: current, wantGradient: step < s.steps)
      losses.append(evaluation.loss)
      // A run that blew up (weights too large for the SVD to converge) has left the norm set.
      if let actual = try? WeightNormBounds.of(layer.parameters) {
        maxNormRatio = max(maxNormRatio, normRatio(actual, norms))
      } else {
        maxNormRatio = .infinity
      }
      guard step < s.steps, evaluation.loss.isFinite, maxNormRatio.isFinite else { break }
      let g = layer.flatGradient(evaluation.gradients)
      gradSquares.append(g.reduce(0) { $0 + $1 * $1 })
      var theta = layer.parameters.flattened()
      for i in 0..<theta.count { theta[i] -= eta * g[i] }
      layer.parameters.setFlattened(theta)
    }
    var increases = 0
    var lemmaViolations = 0
    for t in 0..<gradSquares.count where t + 1 < losses.count {
      let tolerance = 1e-12 * max(abs(losses[t]), 1e-300)
      if !(losses[t + 1] <= losses[t] + tolerance) { increases += 1 }
      if !(losses[t + 1] <= losses[t] - eta / 2 * gradSquares[t] + tolerance) { lemmaViolations += 1 }
    }
    let t = Double(max(gradSquares.count, 1))
    let minGrad = gradSquares.min() ?? .nan
    let rate = 2 * (losses[0] - 0) / (eta * t)
    let telescoped = 2 * (losses[0] - (losses.last ?? losses[0])) / (eta * t)

    let conditions = [
      Condition(
        name: "step size η ≤ 1/β", value: eta, bound: bound.stepSize, margin: bound.stepSize - eta, satisfied: eta <= bound.stepSize,
        detail:
          "β = J² + ρ·H₂ = \(bound.beta) (S_t fixed, norms ≤ \(s.normBound.map { String($0) } ?? "\(s.normSlack)× initial"), R = \(bound.inputNorm), R_y = \(bound.targetNorm))"
      ),
      Condition(
        name: "loss bounded below", value: losses.min() ?? .nan, bound: 0, margin: losses.min() ?? .nan,
        satisfied: losses.allSatisfy { $0.isFinite && $0 >= 0 }, detail: "squared error ≥ ℒ* = 0; value = smallest loss seen"),
      Condition(
        name: "selection stable (S_t fixed)", value: Double(selectionChanges), bound: 0, margin: margin, satisfied: selectionChanges == 0,
        detail: "value = steps at which some S_t differed from step 0; margin = smallest top-k score gap at θ_0 (∞ for dense)"),
      Condition(
        name: "iterates stay in the norm set", value: maxNormRatio, bound: 1, margin: 1 - maxNormRatio,
        satisfied: maxNormRatio <= 1 + 1e-12,
        detail: "value = max over steps and matrices of ‖W_t‖₂ / its bound (slack·‖W_0‖₂ or --norm-bound)"),
    ]
    return Result(
      settings: s, bound: bound, learningRate: eta, conditions: conditions, losses: losses, gradientNormsSquared: gradSquares,
      increases: increases, descentLemmaViolations: lemmaViolations, minGradientNormSquared: minGrad, rateBound: rate,
      telescopedRateBound: telescoped, selectionChanges: selectionChanges, initialSelectionMargin: margin, maxNormRatio: maxNormRatio,
      probe: probe)
  }

  /// max over matrices of actual/bound (0/0 counts as 0, x/0 as ∞).
  static func normRatio(_ a: WeightNormBounds, _ b: WeightNormBounds) -> Double {
    func ratio(_ x: Double, _ y: Double) -> Double { y > 0 ? x / y : (x > 0 ? .infinity : 0) }
    return max(
      ratio(a.query, b.query), ratio(a.key, b.key), ratio(a.value, b.value), ratio(a.output, b.output),
      ratio(a.valueGate, b.valueGate), ratio(a.outputGate, b.outputGate))
  }
}
