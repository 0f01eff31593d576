/// C = A·B (+ bias broadcast over rows), row-major float32, accumulation in float32 FMAs
/// (each output is a K-term dot product accumulated in order of k, blocked by 256).
///
/// Counts: 2·m·k·n flops (one FMA per multiply-add) plus m·n for the bias.
/// Blocking: tasks of 48 rows × 256 columns; K blocks of 256; a 6×16 register micro-kernel
/// (12 SIMD8 accumulators), B panels stay in L1 across the 6-row strips. `workers` threads
/// (default all cores; the profile's per-thread GEMM rate runs it on 1).
@discardableResult
func gemm(
  _ a: UnsafePointer<Float>, rows m: Int, inner k: Int, _ b: UnsafePointer<Float>, cols n: Int,
  into c: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>? = nil, workers: Int = kernelWorkerCount
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
  _ = parallelTasks(taskCount: rowTasks * colTasks, workers: m * n * k >= 1 << 16 ? workers : 1) {
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
          multiplyAccumulate6x16(
            pa.base + i * k + kc, aRow: k, aStep: 1, pb.base + kc * n + j, bStep: n, count: kLen, pc.base + i * n + j,
            ldc: n, accumulate: !first)
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
