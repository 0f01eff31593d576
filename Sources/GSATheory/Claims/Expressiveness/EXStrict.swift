import Foundation
import GSLKit

extension Claim {
  /// EX-strict: GSA with dual gating is strictly more expressive than ungated attention.
  public static let exStrict = Claim(
    id: "EX-strict", group: .expressiveness,
    statement: "GSA with dual gating represents a strictly richer function class than standard (ungated) attention (Theorem 3).",
    sources: [.thirdParty, .reconstruction],
    assumptions: """
      Witness [rec]: on constant sequences h_s = x ungated attention outputs x·W_V·W_O whatever its weights (softmax \
      sums to 1), a linear map; the gated layer outputs ((x W_V) ⊙ σ(x W^g + b))W_O. Evidence: GSL least squares fit \
      of the last token's output on [x, 1] over 160 GSL-sampled x ~ N(0, 2²I) (D = 8, H = 2, d_h = 4, L = 5, k ≥ L), \
      relative residual √(χ²/Σ‖u‖²), for the ungated layer, GSA at reference init (gate gain 0.1) and GSA with gate \
      gain 1; plus the scalar case x·σ(a x), a = 1, on [−3, 3]. Containment (ungated ⊂ GSA) is EX-dense-limit.
      """,
    scope: "Function-class witness, any size (constant sequences)."
  ) { context in try ExpressivenessChecks.strict(context: context, gateGain: 1) }
}

extension ExpressivenessChecks {
  /// Holds when the ungated layer is linear on constant sequences (residual < 1e-10) and the
  /// gated one is not (residual > 1e-6).
  public static func strict(context: ClaimContext, gateGain: Double) throws -> ClaimOutcome {
    let random = context.random()
    let (d, h, dh, length) = (8, 2, 4, 5)
    let samples = context.scaled(full: 160, quick: 40)
    let inputs = (0..<samples).map { _ in (0..<d).map { _ in random.gaussian(sigma: 2) } }
    func residual(_ layer: ClaimLayer) throws -> Double {
      var design = [Double]()
      var outputs = [[Double]]()
      for x in inputs {
        design += x + [1]
        outputs.append(layer.forward(Array(repeating: x, count: length), selection: ClaimLayer.causalAll(length: length)).output.last!)
      }
      var chi = 0.0, total = 0.0
      for i in 0..<d {
        let y = outputs.map { $0[i] }
        let fit = try LinearLeastSquares.fit(design: design, observations: samples, parameters: d + 1, response: y)
        chi += fit.chiSquared
        total += y.reduce(0) { $0 + $1 * $1 }
      }
      return (chi / total).squareRoot()
    }
    let base = ClaimLayer.sample(modelDim: d, heads: h, headDim: dh, indexerHeads: 2, indexerDim: 4, random: random)
    var ungated = base
    ungated.valueGate = false
    ungated.outputGate = false
    let reference = base  // gate gain 0.1, bias 0.5 (reference init)
    var trained = base
    trained.wValueGate = base.wValueGate.map { $0 * gateGain / 0.1 }
    trained.wOutputGate = base.wOutputGate.map { $0 * gateGain / 0.1 }
    let ungatedResidual = try residual(ungated)
    let referenceResidual = try residual(reference)
    let gatedResidual = try residual(trained)
    let grid = (0...120).map { -3 + 6 * Double($0) / 120 }
    let scalar = try LinearLeastSquares.line(x: grid, y: grid.map { $0 * Numerics.sigmoid($0) })
    let scalarResidual = (scalar.chiSquared / grid.reduce(0) { $0 + pow($1 * Numerics.sigmoid($1), 2) }).squareRoot()
    let evidence = [
      EvidenceItem("relative residual, ungated", ungatedResidual),
      EvidenceItem("relative residual, GSA at reference init", referenceResidual),
      EvidenceItem("relative residual, GSA with gate gain \(String.num(gateGain))", gatedResidual),
      EvidenceItem("relative residual, scalar x·σ(x)", scalarResidual),
      EvidenceItem("samples", Double(samples)),
    ]
    guard ungatedResidual < 1e-10 else {
      return ClaimOutcome(
        verdict: .refuted, summary: "the ungated layer is not linear on constant sequences (residual \(String.num(ungatedResidual))).",
        counterexample: "ungated residual \(String.num(ungatedResidual))", evidence: evidence)
    }
    guard gatedResidual > 1e-6 else {
      return ClaimOutcome(
        verdict: .refuted,
        summary: "the witness fails: the gated layer is also linear on constant sequences (residual \(String.num(gatedResidual))).",
        counterexample: "gate gain \(String.num(gateGain)): residual \(String.num(gatedResidual))", evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .holds,
      summary: """
        on constant sequences the best linear fit leaves \(String.num(ungatedResidual)) (ungated: exactly linear) vs \(String.num(gatedResidual)) \
        for GSA (gate gain \(String.num(gateGain)); \(String.num(referenceResidual)) at reference init) and \(String.num(scalarResidual)) for x·σ(x): no \
        ungated layer matches the gated one, while gate bias → ∞ recovers every ungated layer (EX-dense-limit).
        """,
      evidence: evidence)
  }
}
