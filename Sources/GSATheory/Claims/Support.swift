import Foundation

/// Small float64 helpers shared by the checks (deliberately naive: they are references).
enum Numerics {
  /// The logistic sigmoid σ(x) = 1/(1 + e^{−x}), evaluated stably for both signs.
  @inline(__always)
  static func sigmoid(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
  }

  static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }

  /// Population variance (divides by n), as torch.var(unbiased=False).
  static func variance(_ xs: [Double]) -> Double {
    let m = mean(xs)
    return xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count)
  }

  static func norm(_ xs: [Double]) -> Double { xs.reduce(0) { $0 + $1 * $1 }.squareRoot() }

  static func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in a.indices { s += a[i] * b[i] }
    return s
  }

  /// Row-vector times row-major matrix: x (n) · W (n × m) → (m).
  static func vecMat(_ x: [Double], _ w: [Double], rows n: Int, cols m: Int) -> [Double] {
    var out = [Double](repeating: 0, count: m)
    for i in 0..<n {
      let xi = x[i]
      if xi == 0 { continue }
      let base = i * m
      for j in 0..<m { out[j] += xi * w[base + j] }
    }
    return out
  }

  /// Softmax of `scores` (max-subtracted).
  static func softmax(_ scores: [Double]) -> [Double] {
    let m = scores.max() ?? 0
    let e = scores.map { exp($0 - m) }
    let z = e.reduce(0, +)
    return e.map { $0 / z }
  }
}

extension String {
  /// `formatNumber`-like compact rendering for summaries (library-side; the CLI formats tables).
  static func num(_ x: Double, _ digits: Int = 4) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    if x == x.rounded(), abs(x) < 1e12 { return String(Int(x)) }
    let magnitude = abs(x)
    if magnitude >= 1e6 || magnitude < 1e-3 { return String(format: "%.\(Swift.max(digits - 1, 0))e", x) }
    return String(format: "%.\(digits)g", x)
  }
}
