import Foundation
import GSLKit

extension Claim {
  /// NM-spectral-init: spectral norms of Xavier weights follow Bai–Yin.
  public static let nmSpectralInit = Claim(
    id: "NM-spectral-init", group: .numerics,
    statement:
      "The spectral norm of an m × n Xavier-initialised weight with entry s.d. s is ≈ (√m + √n)·s (Bai–Yin), the value Lipschitz and smoothness bounds use.",
    sources: [.reconstruction, .code],
    assumptions: """
      GSL-sampled Xavier-uniform matrices of the reference init (entry s.d. s = a/√3): indexer W^{Ik} 4096 × 64, \
      W^{Iq} 4096 × 256 (gain 1), W^{Iw} 4096 × 4 (gain 0.1), and at the CPU-sized paper shape (D = 512) W_Q 256 × 256, \
      W_K 512 × 128 (gain 1) and a gate 256 × 256 (gain 0.1). σ_max and σ_min by GSL SVD (of the Gram matrix AᵀA for \
      the tall ones: σ(A) = √σ(AᵀA)). "≈" = within [0.9, 1.05] of the prediction (finite-size corrections are \
      O(n^{-2/3})).
      """,
    scope: "Random-matrix law at the paper's weight shapes (D = 4096 and 512)."
  ) { context in try NumericsChecks.spectralInit(context: context, predictionScale: 1) }
}

extension NumericsChecks {
  /// Observed/predicted σ_max for each matrix; `predictionScale` perturbs the prediction.
  public static func spectralInit(context: ClaimContext, predictionScale: Double) throws -> ClaimOutcome {
    let random = context.random()
    let shapes: [(String, Int, Int, Double)] =
      context.quick
      ? [("W^Ik", 512, 16, 1), ("W^Iq", 512, 64, 1), ("W^Iw", 512, 4, 0.1), ("W_Q", 128, 128, 1), ("gate", 128, 128, 0.1)]
      : [
        ("W^Ik", 4096, 64, 1), ("W^Iq", 4096, 256, 1), ("W^Iw", 4096, 4, 0.1), ("W_Q", 256, 256, 1), ("W_K", 512, 128, 1),
        ("gate", 256, 256, 0.1),
      ]
    var evidence = [EvidenceItem]()
    var ratios = [Double]()
    for (name, m, n, gain) in shapes {
      let a = GSLRandom.Xavier.uniformBound(fanIn: m, fanOut: n, gain: gain)
      let s = a / 3.0.squareRoot()
      let values = try singularValuesViaGram(random.uniformMatrix(rows: m, cols: n, bound: a), rows: m, cols: n)
      let predicted = (Double(m).squareRoot() + Double(n).squareRoot()) * s * predictionScale
      let predictedMin = (Double(m).squareRoot() - Double(n).squareRoot()) * s * predictionScale
      ratios.append(values[0] / predicted)
      evidence += [
        EvidenceItem("\(name) \(m)×\(n) σ_max", values[0]), EvidenceItem("\(name) σ_max / (√m + √n)s", values[0] / predicted),
      ]
      if m != n { evidence.append(EvidenceItem("\(name) σ_min / (√m − √n)s", values.last! / predictedMin)) }
    }
    let (low, high) = (ratios.min()!, ratios.max()!)
    if low >= 0.9 && high <= 1.05 {
      return ClaimOutcome(
        verdict: .holds,
        summary:
          "σ_max/((√m + √n)s) ∈ [\(String.num(low, 4)), \(String.num(high, 4))] over \(ratios.count) reference-init matrices (GSL SVD).",
        evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .refuted, summary: "σ_max/prediction ranges over [\(String.num(low, 4)), \(String.num(high, 4))], outside [0.9, 1.05].",
      counterexample: "ratio \(String.num(low < 0.9 ? low : high, 4))", evidence: evidence)
  }

  /// Singular values of a row-major m × n matrix, largest first: GSL SVD of A itself when it is
  /// nearly square, else of the n × n Gram matrix AᵀA (σᵢ(A) = √σᵢ(AᵀA)), which is ~m/n times
  /// cheaper for the tall indexer weights and accurate to ~1e-12 relative for these
  /// well-conditioned matrices.
  static func singularValuesViaGram(_ a: [Double], rows m: Int, cols n: Int) throws -> [Double] {
    guard m >= 4 * n else { return try GSLLinearAlgebra.singularValues(of: a, rows: m, cols: n) }
    var gram = [Double](repeating: 0, count: n * n)
    gram.withUnsafeMutableBufferPointer { g in
      a.withUnsafeBufferPointer { x in
        for r in 0..<m {
          let row = x.baseAddress! + r * n
          for i in 0..<n {
            let xi = row[i]
            let out = g.baseAddress! + i * n
            for j in i..<n { out[j] += xi * row[j] }
          }
        }
      }
      for i in 0..<n { for j in 0..<i { g[i * n + j] = g[j * n + i] } }
    }
    return try GSLLinearAlgebra.singularValues(of: gram, rows: n, cols: n).map { Swift.max($0, 0).squareRoot() }
  }
}
