import Foundation
import GSLKit
import PropertyTesting
import Testing

@testable import GSAModel

/// The dense decode core (`denseDecodePart` over split-K parts, `combineDenseDecodeParts`) and the
/// few-row GEMM against brute-force float64 references.
@Suite struct DecodeKernelTests {
  struct Shape: CustomStringConvertible {
    var heads: Int
    var headDim: Int
    var rows: Int
    var splitRows: Int
    var blockRows: Int
    var prefetchRows: Int
    var scale: Double
    var seed: UInt64
    var description: String {
      "G \(heads) d \(headDim) n \(rows) split \(splitRows) block \(blockRows) prefetch \(prefetchRows) scale \(scale) seed \(seed)"
    }
  }

  /// G 1...5, d 1...80 (multiples of 8 and not), n 1...700 rows, parts of 1...n + 10 rows (one part,
  /// many, a last part of one row), blocks of 1...300 rows, with and without prefetch, score scales
  /// up to 8 (peaked softmax: the running max moves and the parts' maxima differ widely).
  static var shapes: Gen<Shape> {
    Gen<(Int, Int, Int)>.zip(.int(in: 1...5), .element(of: [1, 3, 8, 12, 16, 24, 64, 72, 80]), .int(in: 1...700))
      .flatMap { G, d, n in
        Gen<(Int, Int, Int)>.zip(.int(in: 1...(n + 10)), .element(of: [1, 7, 8, 64, 100, 300]), .element(of: [0, 16]))
          .flatMap { split, block, prefetch in
            Gen<(Double, Int)>.zip(.element(of: [0.1, 1, 8]), .int(in: 0...1_000_000)).map { scale, seed in
              Shape(
                heads: G, headDim: d, rows: n, splitRows: split, blockRows: block, prefetchRows: prefetch, scale: scale,
                seed: UInt64(seed))
            }
          }
      }
  }

  /// Runs the split-K core as the decode step does and returns the G × d output.
  static func run(_ s: Shape, q: [Float], keys: [Float], values: [Float]) -> [Float] {
    let G = s.heads, d = s.headDim, n = s.rows
    let parts = DenseDecode.parts(rows: n, splitRows: s.splitRows)
    let partialFloats = DenseDecode.partialFloats(heads: G, headDim: d)
    var partials = [Float](repeating: .nan, count: parts * partialFloats)
    var scratch = [Float](repeating: .nan, count: DenseDecode.scratchFloats(heads: G, blockRows: s.blockRows))
    var out = [Float](repeating: .nan, count: G * d)
    q.withUnsafeBufferPointer { qb in
      keys.withUnsafeBufferPointer { kb in
        values.withUnsafeBufferPointer { vb in
          partials.withUnsafeMutableBufferPointer { pb in
            scratch.withUnsafeMutableBufferPointer { sb in
              for p in 0..<parts {
                let first = p * s.splitRows
                denseDecodePart(
                  qb.baseAddress!, heads: G, keys: kb.baseAddress! + first * d, values: vb.baseAddress! + first * d,
                  headDim: d, rows: min(n, first + s.splitRows) - first, blockRows: s.blockRows,
                  prefetchRows: s.prefetchRows, scores: sb.baseAddress!, partial: pb.baseAddress! + p * partialFloats)
              }
              out.withUnsafeMutableBufferPointer { ob in
                combineDenseDecodeParts(
                  pb.baseAddress!, count: parts, partialStride: partialFloats, heads: G, headDim: d, output: ob.baseAddress!)
              }
            }
          }
        }
      }
    }
    return out
  }

  /// O_h = softmax(q_h·K)·V in float64, worst |error| / max |O| over the heads.
  static func worstError(_ s: Shape, _ out: [Float], q: [Float], keys: [Float], values: [Float]) -> Double {
    let d = s.headDim
    var worst = 0.0, scale = 1e-6
    for h in 0..<s.heads {
      let scores = (0..<s.rows).map { r in (0..<d).reduce(0.0) { $0 + Double(q[h * d + $1]) * Double(keys[r * d + $1]) } }
      let m = scores.max()!
      let w = scores.map { Foundation.exp($0 - m) }
      let total = w.reduce(0, +)
      for x in 0..<d {
        var ref = 0.0
        for r in 0..<s.rows { ref += w[r] / total * Double(values[r * d + x]) }
        scale = max(scale, abs(ref))
        worst = max(worst, abs(Double(out[h * d + x]) - ref))
      }
    }
    return worst / scale
  }

  @Test func splitDenseDecodeMatchesReference() throws {
    try forAll(Self.shapes, configuration: .init(cases: 60)) { s in
      let rng = GSLRandom(seed: s.seed)
      let q = rng.gaussianMatrix(rows: s.heads, cols: s.headDim, scale: s.scale / Double(s.headDim).squareRoot()).map(Float.init)
      let keys = rng.gaussianMatrix(rows: s.rows, cols: s.headDim, scale: 1).map(Float.init)
      let values = rng.gaussianMatrix(rows: s.rows, cols: s.headDim, scale: 1).map(Float.init)
      let out = Self.run(s, q: q, keys: keys, values: values)
      return Self.worstError(s, out, q: q, keys: keys, values: values) <= 1e-5
    }
  }

  /// The number of parts does not change the result beyond rounding, and one part of the whole
  /// range equals many small ones (down to parts of one row, 5000 float32 combines) to 1e-5.
  @Test func partsAgreeWithOnePart() {
    let rng = GSLRandom(seed: 9)
    let G = 4, d = 64, n = 5000
    let q = rng.gaussianMatrix(rows: G, cols: d, scale: 0.5).map(Float.init)
    let keys = rng.gaussianMatrix(rows: n, cols: d, scale: 1).map(Float.init)
    let values = rng.gaussianMatrix(rows: n, cols: d, scale: 1).map(Float.init)
    let one = Self.run(
      Shape(heads: G, headDim: d, rows: n, splitRows: n, blockRows: 64, prefetchRows: 0, scale: 1, seed: 0), q: q, keys: keys,
      values: values)
    for split in [1, 333, 1024, 4999] {
      let many = Self.run(
        Shape(heads: G, headDim: d, rows: n, splitRows: split, blockRows: 64, prefetchRows: 0, scale: 1, seed: 0), q: q, keys: keys,
        values: values)
      let worst = zip(one, many).map { abs($0 - $1) }.max()!
      #expect(worst <= 1e-5 * one.map(abs).max()!, "split \(split)")
    }
  }

  /// m ≤ 2 rows take `gemmFewRows`: the same bits as the tiled GEMM's single-chain accumulation
  /// (checked against a float32 FMA chain in order of k), and within float64's result.
  @Test func fewRowGemmMatchesChainedReference() {
    let rng = GSLRandom(seed: 31)
    for trial in 0..<16 {
      let m = 1 + rng.uniformInt(below: 2), k = 1 + rng.uniformInt(below: 700), n = 1 + rng.uniformInt(below: 600)
      let a = rng.gaussianMatrix(rows: m, cols: k, scale: 1).map(Float.init)
      let b = rng.gaussianMatrix(rows: k, cols: n, scale: 1).map(Float.init)
      let bias = rng.gaussianMatrix(rows: 1, cols: n, scale: 1).map(Float.init)
      let withBias = trial % 2 == 0
      var c = [Float](repeating: .nan, count: m * n)
      let counts = a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
          bias.withUnsafeBufferPointer { biasp in
            c.withUnsafeMutableBufferPointer { cp in
              gemm(
                ap.baseAddress!, rows: m, inner: k, bp.baseAddress!, cols: n, into: cp.baseAddress!,
                bias: withBias ? biasp.baseAddress! : nil)
            }
          }
        }
      }
      #expect(counts.flops == 2 * m * k * n + (withBias ? m * n : 0))
      for i in 0..<m {
        for j in 0..<n {
          var chain: Float = 0
          for x in 0..<k { chain = chain.addingProduct(a[i * k + x], b[x * n + j]) }
          if withBias { chain += bias[j] }
          #expect(c[i * n + j] == chain, "trial \(trial) seed 31 m \(m) k \(k) n \(n) (\(i),\(j))")
        }
      }
    }
  }
}
