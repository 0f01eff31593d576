import Foundation

// Small row-major float64 matrix helpers for the differentiable layer (sizes are tiny, so plain
// cache-friendly loops over unsafe buffers are enough).

/// C = A·B with A `m × n`, B `n × p` (row-major).
@inline(__always)
func matmul(_ a: [Double], _ b: [Double], _ m: Int, _ n: Int, _ p: Int) -> [Double] {
  var c = [Double](repeating: 0, count: m * p)
  accumulateProducts(&c, a, b, m, n, p, transposeA: false)
  return c
}

/// C += Aᵀ·B with A `m × n`, B `m × p`; C is `n × p`.
@inline(__always)
func addMatmulTransA(_ c: inout [Double], _ a: [Double], _ b: [Double], _ m: Int, _ n: Int, _ p: Int) {
  accumulateProducts(&c, a, b, m, n, p, transposeA: true)
}

/// For every entry a[i][l] ≠ 0 of A (`m × n`): C's row (i for A·B, l for Aᵀ·B) += a[i][l] × B's
/// row (l, respectively i), p columns each; zero entries of A are skipped.
@inline(__always)
private func accumulateProducts(
  _ c: inout [Double], _ a: [Double], _ b: [Double], _ m: Int, _ n: Int, _ p: Int, transposeA: Bool
) {
  a.withUnsafeBufferPointer { a in
    b.withUnsafeBufferPointer { b in
      c.withUnsafeMutableBufferPointer { c in
        for i in 0..<m {
          for l in 0..<n {
            let ail = a[i * n + l]
            if ail == 0 { continue }
            let cRow = (transposeA ? l : i) * p
            let bRow = (transposeA ? i : l) * p
            for j in 0..<p { c[cRow + j] += ail * b[bRow + j] }
          }
        }
      }
    }
  }
}

/// C += A·Bᵀ with A `m × p`, B `n × p`; C is `m × n`.
@inline(__always)
func addMatmulTransB(_ c: inout [Double], _ a: [Double], _ b: [Double], _ m: Int, _ p: Int, _ n: Int) {
  a.withUnsafeBufferPointer { a in
    b.withUnsafeBufferPointer { b in
      c.withUnsafeMutableBufferPointer { c in
        for i in 0..<m {
          for j in 0..<n {
            var sum = 0.0
            for l in 0..<p { sum += a[i * p + l] * b[j * p + l] }
            c[i * n + j] += sum
          }
        }
      }
    }
  }
}

/// The logistic sigmoid σ(x) = 1/(1 + e^(−x)), computed without overflow.
@inline(__always)
func sigmoid(_ x: Double) -> Double {
  if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
  let e = Foundation.exp(x)
  return e / (1 + e)
}

/// Euclidean norm of a vector.
func euclideanNorm(_ x: [Double]) -> Double {
  var s = 0.0
  for v in x { s += v * v }
  return s.squareRoot()
}
