import GSLKit

@testable import GSAModel

/// A seeded random L × D input with N(0, scale²) entries.
func randomInput(rows: Int, cols: Int, seed: UInt64, scale: Double = 1) -> Matrix {
  let rng = GSLRandom(seed: seed)
  return try! Matrix(rows: rows, cols: cols, doubles: rng.gaussianMatrix(rows: rows, cols: cols, scale: scale))
}

/// A random valid small configuration (for property-style loops).
func randomConfig(_ rng: GSLRandom) -> LayerConfig {
  let kvHeads = 1 + rng.uniformInt(below: 2)
  let heads = kvHeads * (1 + rng.uniformInt(below: 2))
  let headDim = 2 * (1 + rng.uniformInt(below: 6))
  let kMin = 1 + rng.uniformInt(below: 4)
  let kBase = kMin + rng.uniformInt(below: 8)
  let kMax = kBase + rng.uniformInt(below: 8)
  let rules = AdaptiveKRule.allCases
  return LayerConfig(
    modelDim: 1 + rng.uniformInt(below: 12), heads: heads, kvHeads: kvHeads, headDim: headDim,
    indexerHeads: 1 + rng.uniformInt(below: 3), indexerDim: 1 + rng.uniformInt(below: 6), kBase: kBase, kMin: kMin,
    kMax: kMax, kRule: rules[rng.uniformInt(below: rules.count)],
    indexerActivation: rng.uniformInt(below: 2) == 0 ? .sigmoid : .relu, valueGate: rng.uniformInt(below: 2) == 0,
    outputGate: rng.uniformInt(below: 2) == 0, indexerScale: rng.uniformInt(below: 2) == 0,
    causal: rng.uniformInt(below: 4) != 0, codeRuleTemperature: rng.uniform(in: 0, 2))
}

/// max |a − b| / max |b| over all entries.
func relativeError(_ a: Matrix, _ b: [[Double]]) -> Double {
  var worst = 0.0, scale = 0.0
  for r in 0..<a.rows {
    for c in 0..<a.cols {
      worst = max(worst, abs(Double(a[r, c]) - b[r][c]))
      scale = max(scale, abs(b[r][c]))
    }
  }
  return worst / max(scale, 1e-30)
}

func relativeError(_ a: Matrix, _ b: Matrix) -> Double {
  relativeError(a, (0..<b.rows).map { r in (0..<b.cols).map { Double(b[r, $0]) } })
}
