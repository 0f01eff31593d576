import Foundation
import GSLKit

extension Claim {
  /// EX-null-output: GSA can output ≈ 0 for any attention pattern; ungated attention needs a sink.
  public static let exNullOutput = Claim(
    id: "EX-null-output", group: .expressiveness,
    statement: """
      G1 → 0 lets GSA output ≈ 0 for any attention pattern; ungated attention can output ≈ 0 only by putting its \
      mass on a token whose value is ≈ 0 (the attention sink).
      """,
    sources: [.thirdParty, .code],
    assumptions: """
      Brute-force float64 layers (D = 16, H = 2, d_h = 8, L = 8 ≤ D, reference init) on GSL-sampled inputs. GSA: G1 \
      bias −30 and weights 0, outputs relative to the same layer with b = 0.5. Ungated: the smallest ‖Σ_s a_s V_s W_O‖ \
      over ALL attention weights a in the simplex (Frank–Wolfe, 4000 steps) relative to the typical output; then a \
      zero-value sink token added: the sink mass needed for ‖u‖ ≤ ε·‖u without sink‖ (bisection on the sink logit).
      """,
    scope: "Mechanism, any size; float64 layers (D = 16, L ≤ D)."
  ) { context in try ExpressivenessChecks.nullOutput(context: context, outputGateBias: -30) }
}

extension ExpressivenessChecks {
  public static func nullOutput(context: ClaimContext, outputGateBias: Double) throws -> ClaimOutcome {
    let random = context.random()
    let (d, h, dh, length) = (16, 2, 8, 8)
    let trials = context.scaled(full: 12, quick: 4)
    var gsaWorst = 0.0
    var hullMin = Double.infinity
    for _ in 0..<trials {
      let layer = ClaimLayer.sample(modelDim: d, heads: h, headDim: dh, indexerHeads: 2, indexerDim: 4, random: random)
      let x = ClaimLayer.sequence(length: length, modelDim: d, random: random)
      let all = ClaimLayer.causalAll(length: length)
      var shut = layer
      shut.wOutputGate = layer.wOutputGate.map { _ in 0 }
      shut.outputGateBias = outputGateBias
      let open = layer.forward(x, selection: all).output
      let closed = shut.forward(x, selection: all).output
      for t in 0..<length { gsaWorst = max(gsaWorst, Numerics.norm(closed[t]) / Numerics.norm(open[t])) }
      // Ungated: y_s = V_s W_O; min over the simplex of ‖Σ a_s y_s‖ (Frank–Wolfe with exact line search).
      var ungated = layer
      ungated.valueGate = false
      ungated.outputGate = false
      let v = ungated.forward(x, selection: all).rawValues
      let y = v.map { Numerics.vecMat($0, layer.wO, rows: layer.width, cols: d) }
      let typical = Numerics.mean(y.map(Numerics.norm))
      var a = [Double](repeating: 1 / Double(length), count: length)
      for _ in 0..<context.scaled(full: 4000, quick: 400) {
        let point = (0..<d).map { i in (0..<length).reduce(0.0) { $0 + a[$1] * y[$1][i] } }
        let gradients = y.map { Numerics.dot($0, point) }
        let best = gradients.indices.min { gradients[$0] < gradients[$1] }!
        let direction = (0..<d).map { y[best][$0] - point[$0] }
        let denominator = Numerics.dot(direction, direction)
        guard denominator > 0 else { break }
        let step = min(1, max(0, -Numerics.dot(point, direction) / denominator))
        for s in 0..<length { a[s] *= 1 - step }
        a[best] += step
      }
      let point = (0..<d).map { i in (0..<length).reduce(0.0) { $0 + a[$1] * y[$1][i] } }
      hullMin = min(hullMin, Numerics.norm(point) / typical)
    }
    // Sink: values y_1..y_n with random logits, plus a sink with value 0 and logit z.
    let y = (0..<length).map { _ in (0..<d).map { _ in random.gaussian() } }
    let logits = (0..<length).map { _ in random.gaussian() }
    func outputNorm(sinkLogit z: Double) -> (norm: Double, mass: Double) {
      let weights = Numerics.softmax(logits + [z])
      let u = (0..<d).map { i in (0..<length).reduce(0.0) { $0 + weights[$1] * y[$1][i] } }
      return (Numerics.norm(u), weights[length])
    }
    let baseline = outputNorm(sinkLogit: -1e9).norm
    func massNeeded(_ epsilon: Double) -> Double {
      let z = MeasuredCost.bisect(-50, 50) { outputNorm(sinkLogit: $0).norm - epsilon * baseline } ?? .nan
      return outputNorm(sinkLogit: z).mass
    }
    let evidence = [
      EvidenceItem("GSA max ‖u‖/‖u(b = 0.5)‖ with G1 bias \(String.num(outputGateBias))", gsaWorst),
      EvidenceItem("ungated min over all attention weights ‖u‖/typical ‖V W_O‖", hullMin),
      EvidenceItem("sink mass for ‖u‖ ≤ 10%", massNeeded(0.1)), EvidenceItem("sink mass for ‖u‖ ≤ 1%", massNeeded(0.01)),
      EvidenceItem("‖u‖ left with 46.7% sink mass (dense first-token share [code])", 1 - 0.467),
    ]
    guard gsaWorst < 1e-6 else {
      return ClaimOutcome(
        verdict: .refuted, summary: "with G1 bias \(String.num(outputGateBias)) GSA still outputs \(String.num(gsaWorst)) of its norm.",
        counterexample: "‖u‖ ratio \(String.num(gsaWorst))", evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .holds,
      summary: """
        closing G1 scales every output to ≤ \(String.num(gsaWorst)) of its norm for any attention pattern; ungated attention without a \
        zero-value token cannot get below \(String.num(hullMin, 3)) of the typical output over all attention weights (L ≤ D: 0 is not in \
        the values' hull), and with a zero-value sink it needs \(String.num(100 * massNeeded(0.1), 3))% of its mass there for a 10× \
        reduction, \(String.num(100 * massNeeded(0.01), 3))% for 100× (the output norm falls linearly in 1 − mass).
        """,
      evidence: evidence)
  }
}
