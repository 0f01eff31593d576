/// The 6 × 16 register tile of the GEMM, the dense attention products and the indexer's dot
/// products (12 independent FMA chains: enough to cover FMA latency × throughput):
/// c[i][0 ..< 16] (+)= Σ_{n < count} a[i·aRow + n·aStep]·b[n·bStep + 0 ..< 16] for i < 6, c with
/// row stride `ldc`, starting from c's values when `accumulate`, else from 0. Accumulation in
/// float32 FMAs in order of n.
///
/// Inlined with constant `aRow`, `aStep` (and `bStep`), the six broadcasts and the loads are
/// immediate offsets from two pointers: with run-time strides the loop spends 8 integer
/// instructions per 12 FMAs on addresses (23 instructions per iteration against 29).
@inline(__always)
func multiplyAccumulate6x16(
  _ a: UnsafePointer<Float>, aRow: Int, aStep: Int, _ b: UnsafePointer<Float>, bStep: Int, count: Int,
  _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
) {
  var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
  var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a30 = SIMD8<Float>(), a31 = SIMD8<Float>()
  var a40 = SIMD8<Float>(), a41 = SIMD8<Float>(), a50 = SIMD8<Float>(), a51 = SIMD8<Float>()
  if accumulate {
    a00 = loadV(c); a01 = loadV(c + 8); a10 = loadV(c + ldc); a11 = loadV(c + ldc + 8)
    a20 = loadV(c + 2 * ldc); a21 = loadV(c + 2 * ldc + 8); a30 = loadV(c + 3 * ldc); a31 = loadV(c + 3 * ldc + 8)
    a40 = loadV(c + 4 * ldc); a41 = loadV(c + 4 * ldc + 8); a50 = loadV(c + 5 * ldc); a51 = loadV(c + 5 * ldc + 8)
  }
  var ap = a, bp = b
  for _ in 0..<count {
    let b0 = loadV(bp), b1 = loadV(bp + 8)
    var s = SIMD8<Float>(repeating: ap[0])
    a00 = a00.addingProduct(s, b0); a01 = a01.addingProduct(s, b1)
    s = SIMD8<Float>(repeating: ap[aRow])
    a10 = a10.addingProduct(s, b0); a11 = a11.addingProduct(s, b1)
    s = SIMD8<Float>(repeating: ap[2 * aRow])
    a20 = a20.addingProduct(s, b0); a21 = a21.addingProduct(s, b1)
    s = SIMD8<Float>(repeating: ap[3 * aRow])
    a30 = a30.addingProduct(s, b0); a31 = a31.addingProduct(s, b1)
    s = SIMD8<Float>(repeating: ap[4 * aRow])
    a40 = a40.addingProduct(s, b0); a41 = a41.addingProduct(s, b1)
    s = SIMD8<Float>(repeating: ap[5 * aRow])
    a50 = a50.addingProduct(s, b0); a51 = a51.addingProduct(s, b1)
    ap += aStep
    bp += bStep
  }
  storeV(a00, c); storeV(a01, c + 8); storeV(a10, c + ldc); storeV(a11, c + ldc + 8)
  storeV(a20, c + 2 * ldc); storeV(a21, c + 2 * ldc + 8); storeV(a30, c + 3 * ldc); storeV(a31, c + 3 * ldc + 8)
  storeV(a40, c + 4 * ldc); storeV(a41, c + 4 * ldc + 8); storeV(a50, c + 5 * ldc); storeV(a51, c + 5 * ldc + 8)
}
