/// The 6 × 16 register tile of the GEMM, the dense attention products and the indexer's dot
/// products: 12 accumulators (rows r = 0 ..< 6, key halves 0 and 1), 12 independent FMA chains,
/// enough to cover FMA latency × throughput.
struct Tile6x16 {
  var r0 = (SIMD8<Float>(), SIMD8<Float>()), r1 = (SIMD8<Float>(), SIMD8<Float>())
  var r2 = (SIMD8<Float>(), SIMD8<Float>()), r3 = (SIMD8<Float>(), SIMD8<Float>())
  var r4 = (SIMD8<Float>(), SIMD8<Float>()), r5 = (SIMD8<Float>(), SIMD8<Float>())

  /// Every accumulator set to `value`.
  @inline(__always) init(repeating value: SIMD8<Float> = SIMD8<Float>()) {
    r0 = (value, value); r1 = (value, value); r2 = (value, value)
    r3 = (value, value); r4 = (value, value); r5 = (value, value)
  }

  /// The tile stored at `c` (row stride `ldc`).
  @inline(__always) init(loading c: UnsafePointer<Float>, ldc: Int) {
    r0 = (loadV(c), loadV(c + 8)); r1 = (loadV(c + ldc), loadV(c + ldc + 8))
    r2 = (loadV(c + 2 * ldc), loadV(c + 2 * ldc + 8)); r3 = (loadV(c + 3 * ldc), loadV(c + 3 * ldc + 8))
    r4 = (loadV(c + 4 * ldc), loadV(c + 4 * ldc + 8)); r5 = (loadV(c + 5 * ldc), loadV(c + 5 * ldc + 8))
  }

  @inline(__always) func store(_ c: UnsafeMutablePointer<Float>, ldc: Int) {
    storeV(r0.0, c); storeV(r0.1, c + 8); storeV(r1.0, c + ldc); storeV(r1.1, c + ldc + 8)
    storeV(r2.0, c + 2 * ldc); storeV(r2.1, c + 2 * ldc + 8); storeV(r3.0, c + 3 * ldc); storeV(r3.1, c + 3 * ldc + 8)
    storeV(r4.0, c + 4 * ldc); storeV(r4.1, c + 4 * ldc + 8); storeV(r5.0, c + 5 * ldc); storeV(r5.1, c + 5 * ldc + 8)
  }

  /// c[i][0 ..< 16] += Σ_{n < count} a[i·aRow + n·aStep]·b[n·bStep + 0 ..< 16] for i < 6, in
  /// float32 FMAs in order of n.
  ///
  /// Inlined with constant `aRow`, `aStep` (and `bStep`), the six broadcasts and the loads are
  /// immediate offsets from two pointers: with run-time strides the loop spends 8 integer
  /// instructions per 12 FMAs on addresses (23 instructions per iteration against 29).
  @inline(__always) mutating func multiplyAccumulate(
    _ a: UnsafePointer<Float>, aRow: Int, aStep: Int, _ b: UnsafePointer<Float>, bStep: Int, count: Int
  ) {
    var (a00, a01) = r0, (a10, a11) = r1, (a20, a21) = r2, (a30, a31) = r3, (a40, a41) = r4, (a50, a51) = r5
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
    r0 = (a00, a01); r1 = (a10, a11); r2 = (a20, a21); r3 = (a30, a31); r4 = (a40, a41); r5 = (a50, a51)
  }
}

/// c[i][0 ..< 16] (+)= Σ_{n < count} a[i·aRow + n·aStep]·b[n·bStep + 0 ..< 16] for i < 6 (`Tile6x16`),
/// c with row stride `ldc`, starting from c's values when `accumulate`, else from 0.
@inline(__always)
func multiplyAccumulate6x16(
  _ a: UnsafePointer<Float>, aRow: Int, aStep: Int, _ b: UnsafePointer<Float>, bStep: Int, count: Int,
  _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
) {
  var tile = accumulate ? Tile6x16(loading: c, ldc: ldc) : Tile6x16()
  tile.multiplyAccumulate(a, aRow: aRow, aStep: aStep, b, bStep: bStep, count: count)
  tile.store(c, ldc: ldc)
}
