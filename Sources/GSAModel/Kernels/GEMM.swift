/// C = A·B (+ bias broadcast over rows), row-major float32, accumulation in float32 FMAs
/// (each output is a K-term dot product accumulated in order of k, blocked by 256).
///
/// Counts: 2·m·k·n flops (one FMA per multiply-add) plus m·n for the bias.
/// Blocking: tasks of 48 rows × 256 columns; K blocks of 256; a 6×16 register micro-kernel
/// (12 SIMD8 accumulators), B panels stay in L1 across the 6-row strips.
@discardableResult
func gemm(
  _ a: UnsafePointer<Float>, rows m: Int, inner k: Int, _ b: UnsafePointer<Float>, cols n: Int,
  into c: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>? = nil
) -> FlopCounts {
  guard m > 0, n > 0 else { return FlopCounts() }
  if k == 0 {
    for i in 0..<m { for j in 0..<n { c[i * n + j] = bias?[j] ?? 0 } }
    return FlopCounts(flops: bias == nil ? 0 : m * n)
  }
  let rowPanel = 48, colPanel = 256, kBlock = 256
  let rowTasks = (m + rowPanel - 1) / rowPanel
  let colTasks = (n + colPanel - 1) / colPanel
  let pa = SharedConstPointer(a), pb = SharedConstPointer(b), pc = SharedPointer(c)
  let pbias = bias.map { SharedConstPointer($0) }
  _ = parallelTasks(taskCount: rowTasks * colTasks, workers: m * n * k >= 1 << 16 ? kernelWorkerCount : 1) {
    _, task, _ in
    let r0 = (task / colTasks) * rowPanel, r1 = min(m, r0 + rowPanel)
    let c0 = (task % colTasks) * colPanel, c1 = min(n, c0 + colPanel)
    var kc = 0
    while kc < k {
      let kLen = min(kBlock, k - kc)
      let first = kc == 0
      var j = c0
      while j + 16 <= c1 {
        var i = r0
        while i + 6 <= r1 {
          gemmMicro6x16(pa.base + i * k + kc, lda: k, pb.base + kc * n + j, ldb: n, pc.base + i * n + j, ldc: n, kLen, first)
          i += 6
        }
        while i < r1 {
          gemmMicro1x16(pa.base + i * k + kc, pb.base + kc * n + j, ldb: n, pc.base + i * n + j, kLen, first)
          i += 1
        }
        j += 16
      }
      if j < c1 {
        for i in r0..<r1 {
          for jj in j..<c1 {
            var acc: Float = first ? 0 : pc[i * n + jj]
            for kk in 0..<kLen { acc = acc.addingProduct(pa[i * k + kc + kk], pb[(kc + kk) * n + jj]) }
            pc[i * n + jj] = acc
          }
        }
      }
      kc += kLen
    }
    if let pbias {
      for i in r0..<r1 { for jj in c0..<c1 { pc[i * n + jj] += pbias[jj] } }
    }
  }
  return FlopCounts(flops: 2 * m * k * n + (bias == nil ? 0 : m * n))
}

@inline(__always)
private func gemmMicro6x16(
  _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int,
  _ kLen: Int, _ first: Bool
) {
  var c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51: SIMD8<Float>
  if first {
    c00 = .zero; c01 = .zero; c10 = .zero; c11 = .zero; c20 = .zero; c21 = .zero
    c30 = .zero; c31 = .zero; c40 = .zero; c41 = .zero; c50 = .zero; c51 = .zero
  } else {
    c00 = loadV(c); c01 = loadV(c + 8)
    c10 = loadV(c + ldc); c11 = loadV(c + ldc + 8)
    c20 = loadV(c + 2 * ldc); c21 = loadV(c + 2 * ldc + 8)
    c30 = loadV(c + 3 * ldc); c31 = loadV(c + 3 * ldc + 8)
    c40 = loadV(c + 4 * ldc); c41 = loadV(c + 4 * ldc + 8)
    c50 = loadV(c + 5 * ldc); c51 = loadV(c + 5 * ldc + 8)
  }
  var bp = b
  // Row pointers stepped with k (no index arithmetic or overflow checks in the loop).
  var a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda
  for _ in 0..<kLen {
    let b0 = loadV(bp), b1 = loadV(bp + 8)
    var av = SIMD8<Float>(repeating: a0.pointee)
    c00 = c00.addingProduct(av, b0); c01 = c01.addingProduct(av, b1)
    av = SIMD8<Float>(repeating: a1.pointee)
    c10 = c10.addingProduct(av, b0); c11 = c11.addingProduct(av, b1)
    av = SIMD8<Float>(repeating: a2.pointee)
    c20 = c20.addingProduct(av, b0); c21 = c21.addingProduct(av, b1)
    av = SIMD8<Float>(repeating: a3.pointee)
    c30 = c30.addingProduct(av, b0); c31 = c31.addingProduct(av, b1)
    av = SIMD8<Float>(repeating: a4.pointee)
    c40 = c40.addingProduct(av, b0); c41 = c41.addingProduct(av, b1)
    av = SIMD8<Float>(repeating: a5.pointee)
    c50 = c50.addingProduct(av, b0); c51 = c51.addingProduct(av, b1)
    a0 += 1; a1 += 1; a2 += 1; a3 += 1; a4 += 1; a5 += 1
    bp += ldb
  }
  storeV(c00, c); storeV(c01, c + 8)
  storeV(c10, c + ldc); storeV(c11, c + ldc + 8)
  storeV(c20, c + 2 * ldc); storeV(c21, c + 2 * ldc + 8)
  storeV(c30, c + 3 * ldc); storeV(c31, c + 3 * ldc + 8)
  storeV(c40, c + 4 * ldc); storeV(c41, c + 4 * ldc + 8)
  storeV(c50, c + 5 * ldc); storeV(c51, c + 5 * ldc + 8)
}

@inline(__always)
private func gemmMicro1x16(
  _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>, _ kLen: Int,
  _ first: Bool
) {
  var c0: SIMD8<Float> = first ? .zero : loadV(c)
  var c1: SIMD8<Float> = first ? .zero : loadV(c + 8)
  var bp = b
  var ap = a
  for _ in 0..<kLen {
    let av = SIMD8<Float>(repeating: ap.pointee)
    ap += 1
    c0 = c0.addingProduct(av, loadV(bp))
    c1 = c1.addingProduct(av, loadV(bp + 8))
    bp += ldb
  }
  storeV(c0, c)
  storeV(c1, c + 8)
}
