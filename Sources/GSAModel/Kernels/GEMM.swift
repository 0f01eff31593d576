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
  if m <= 2 { return gemmFewRows(a, rows: m, inner: k, b, cols: n, into: c, bias: bias, workers: workers) }
  let rowPanel = gemmRowPanel, colPanel = gemmColPanel, kBlock = 256
  let colTasks = (n + colPanel - 1) / colPanel
  let schedule = gemmSchedule(rows: m, inner: k, cols: n, workers: workers)
  let pa = SharedConstPointer(a), pb = SharedConstPointer(b), pc = SharedPointer(c)
  let pbias = bias.map { SharedConstPointer($0) }
  _ = parallelTasks(taskCount: schedule.tasks, workers: schedule.workers) {
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

let gemmRowPanel = 48, gemmColPanel = 256, gemmFewRowsColPanel = 128

/// The tasks `gemm` splits C = A·B (m × k by k × n) into and the workers it asks for: m ≤ 2 rows,
/// tasks of 128 columns when B holds ≥ 2¹⁸ floats (else one), on every worker; otherwise tasks of
/// 48 rows × 256 columns, on every worker once m·n·k ≥ 2¹⁶ (else one). With k = 0 or an empty C
/// there is no task.
public func gemmSchedule(rows m: Int, inner k: Int, cols n: Int, workers: Int = kernelWorkerCount) -> (tasks: Int, workers: Int) {
  guard m > 0, n > 0, k > 0 else { return (0, 1) }
  if m <= 2 { return (k * n >= 1 << 18 ? (n + gemmFewRowsColPanel - 1) / gemmFewRowsColPanel : 1, workers) }
  let tasks = ((m + gemmRowPanel - 1) / gemmRowPanel) * ((n + gemmColPanel - 1) / gemmColPanel)
  return (tasks, m * n * k >= 1 << 16 ? workers : 1)
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

/// `gemm` for m ≤ 2 rows (a decode step's one-row projections), memory bound on B: B is streamed
/// once in its row-major order, four rows of B at a time, c[i, j] = fma(a[i, k], b[k, j], c[i, j])
/// in order of k from 0 (then + bias), the same float32 operations as `gemm`'s micro-kernels, so
/// the same bits. Tasks of 128 columns when B holds ≥ 256K floats (both cores stream it), else one
/// task. c is used as the accumulator (L1-resident: ≤ 2 × n floats).
private func gemmFewRows(
  _ a: UnsafePointer<Float>, rows m: Int, inner k: Int, _ b: UnsafePointer<Float>, cols n: Int,
  into c: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, workers: Int
) -> FlopCounts {
  let colPanel = gemmFewRowsColPanel
  let schedule = gemmSchedule(rows: m, inner: k, cols: n, workers: workers)
  let tasks = schedule.tasks
  let width = tasks == 1 ? n : colPanel
  let pa = SharedConstPointer(a), pb = SharedConstPointer(b), pc = SharedPointer(c)
  let pbias = bias.map { SharedConstPointer($0) }
  _ = parallelTasks(taskCount: tasks, workers: schedule.workers) { _, task, _ in
    let c0 = task * width, c1 = min(n, c0 + width)
    for i in 0..<m { (pc.base + i * n + c0).initialize(repeating: 0, count: c1 - c0) }
    let vectorEnd = c0 + (c1 - c0) / 8 * 8
    for i in 0..<m {
      let x = pa.base + i * k, out = pc.base + i * n
      var r = 0
      while r + 4 <= k {
        let x0 = SIMD8<Float>(repeating: x[r]), x1 = SIMD8<Float>(repeating: x[r + 1])
        let x2 = SIMD8<Float>(repeating: x[r + 2]), x3 = SIMD8<Float>(repeating: x[r + 3])
        let b0 = pb.base + r * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n
        var j = c0
        while j < vectorEnd {
          var acc = loadV(out + j)
          acc = acc.addingProduct(x0, loadV(b0 + j))
          acc = acc.addingProduct(x1, loadV(b1 + j))
          acc = acc.addingProduct(x2, loadV(b2 + j))
          acc = acc.addingProduct(x3, loadV(b3 + j))
          storeV(acc, out + j)
          j += 8
        }
        while j < c1 {
          var s = out[j]
          s = s.addingProduct(x[r], b0[j])
          s = s.addingProduct(x[r + 1], b1[j])
          s = s.addingProduct(x[r + 2], b2[j])
          s = s.addingProduct(x[r + 3], b3[j])
          out[j] = s
          j += 1
        }
        r += 4
      }
      while r < k {
        let xr = SIMD8<Float>(repeating: x[r])
        let br = pb.base + r * n
        var j = c0
        while j < vectorEnd {
          storeV(loadV(out + j).addingProduct(xr, loadV(br + j)), out + j)
          j += 8
        }
        while j < c1 {
          out[j] = out[j].addingProduct(x[r], br[j])
          j += 1
        }
        r += 1
      }
      if let pbias { for j in c0..<c1 { out[j] += pbias[j] } }
    }
  }
  return FlopCounts(flops: 2 * m * k * n + (bias == nil ? 0 : m * n))
}
