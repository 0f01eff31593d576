import Dispatch
import Foundation

/// This machine's roofline: the peak float32 FLOP rate and the sustained memory bandwidth,
/// each measured, so measured kernels can be reported as a fraction of what the hardware can do.
///
/// - Peak FLOP/s: every core runs `chains` independent chains of 8-wide float32 fused
///   multiply-adds (x ← x·m + c, 16 FLOPs per vector FMA) that fit in registers, so the only limit
///   is FMA throughput. Built with `-target-cpu x86-64-v3` these become AVX2 `vfmadd` on ymm
///   registers; without it, the number is what the build can reach (and is then lower).
/// - Bandwidth: the STREAM triad a[i] = b[i] + s·c[i] over arrays far larger than the caches,
///   split over all cores; counted as 3 arrays × 4 bytes per element (STREAM's convention: the
///   write-allocate read of `a` is not counted).
/// Each is repeated; the statistics are over repeats, and the best repeat is the peak.
public enum Roofline {
  /// Summary statistics of repeated measurements.
  public struct Statistics: Sendable, Hashable {
    public let values: [Double]
    public var best: Double { values.max() ?? .nan }
    public var median: Double {
      let sorted = values.sorted()
      guard !sorted.isEmpty else { return .nan }
      let mid = sorted.count / 2
      return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
    public var worst: Double { values.min() ?? .nan }
    public var mean: Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
    /// Sample standard deviation (0 for one value).
    public var standardDeviation: Double {
      guard values.count > 1 else { return 0 }
      let m = mean
      return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
    }
    public init(values: [Double]) { self.values = values }
  }

  public struct Measurement: Sendable, Hashable {
    /// FLOP/s per repeat (all threads together).
    public let flopsPerSecond: Statistics
    /// Bytes/s per repeat, STREAM-triad convention.
    public let bytesPerSecond: Statistics
    public let threads: Int
    /// Vector FMAs each thread ran per FLOP repeat.
    public let fmaPerThread: Int
    /// Elements of each triad array.
    public let triadElements: Int
    /// Peak FLOP/s used as the roofline: the best repeat.
    public var peakFlopsPerSecond: Double { flopsPerSecond.best }
    public var peakBytesPerSecond: Double { bytesPerSecond.best }
    /// FLOPs per byte at which the roofline bends (compute-bound above).
    public var ridgeIntensity: Double { peakFlopsPerSecond / peakBytesPerSecond }

    /// The attainable FLOP/s at arithmetic intensity `flopsPerByte`: min(peak, intensity·bandwidth).
    public func attainable(flopsPerByte: Double) -> Double {
      min(peakFlopsPerSecond, flopsPerByte * peakBytesPerSecond)
    }
  }

  /// Measures both roofs. `fmaPerThread` vector FMAs per thread per repeat (default ≈ 0.5 s at
  /// 2×10¹⁰ FLOP/s per core), `triadElements` per array (default 2²⁵ = 128 MiB per array).
  public static func measure(
    threads: Int = ProcessInfo.processInfo.activeProcessorCount, repeats: Int = 5,
    fmaPerThread: Int = 640_000_000, triadElements: Int = 1 << 25, triadPasses: Int = 4
  ) -> Measurement {
    let threads = max(1, threads)
    var flops = [Double]()
    for _ in 0..<max(1, repeats) { flops.append(peakFlops(threads: threads, fmaPerThread: fmaPerThread)) }
    let bandwidth = streamTriad(threads: threads, elements: triadElements, passes: triadPasses, repeats: max(1, repeats))
    return Measurement(
      flopsPerSecond: Statistics(values: flops), bytesPerSecond: Statistics(values: bandwidth), threads: threads,
      fmaPerThread: fmaPerThread, triadElements: triadElements)
  }

  /// Number of independent FMA chains per thread: 2 FMA ports × 4-cycle latency needs ≥ 8;
  /// 12 leave headroom and still fit in the 16 ymm registers with the two constants.
  public static let chains = 12
  /// FLOPs per 8-wide vector FMA (8 lanes × multiply-add = 2).
  public static let flopsPerVectorFMA = 16

  /// One repeat of the FMA microbenchmark on `threads` threads; returns FLOP/s.
  public static func peakFlops(threads: Int, fmaPerThread: Int) -> Double {
    let iterations = max(1, fmaPerThread / chains)
    let sink = SharedFloats(count: threads)
    defer { sink.deallocate() }
    let start = DispatchTime.now().uptimeNanoseconds
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
      sink.base[thread] = fmaKernel(iterations: iterations, seed: Float(thread + 1))
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    // Keep the result observable so the loop cannot be removed.
    if (0..<threads).reduce(Float(0), { $0 + sink.base[$1] }).isNaN { return .nan }
    return Double(threads * iterations * chains * flopsPerVectorFMA) / seconds
  }

  /// `iterations` rounds of `chains` independent vector FMAs x_i ← x_i·m + c.
  /// x converges to c/(1 − m) = 1 and never overflows or goes subnormal.
  @inline(never)
  static func fmaKernel(iterations: Int, seed: Float) -> Float {
    let m = SIMD8<Float>(repeating: 0.999_999)
    let c = SIMD8<Float>(repeating: 0.000_001)
    var x0 = SIMD8<Float>(repeating: seed * 0.01), x1 = x0 + 0.01, x2 = x0 + 0.02, x3 = x0 + 0.03
    var x4 = x0 + 0.04, x5 = x0 + 0.05, x6 = x0 + 0.06, x7 = x0 + 0.07
    var x8 = x0 + 0.08, x9 = x0 + 0.09, x10 = x0 + 0.10, x11 = x0 + 0.11
    for _ in 0..<iterations {
      x0 = c.addingProduct(x0, m)
      x1 = c.addingProduct(x1, m)
      x2 = c.addingProduct(x2, m)
      x3 = c.addingProduct(x3, m)
      x4 = c.addingProduct(x4, m)
      x5 = c.addingProduct(x5, m)
      x6 = c.addingProduct(x6, m)
      x7 = c.addingProduct(x7, m)
      x8 = c.addingProduct(x8, m)
      x9 = c.addingProduct(x9, m)
      x10 = c.addingProduct(x10, m)
      x11 = c.addingProduct(x11, m)
    }
    let sum = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)) + ((x8 + x9) + (x10 + x11))
    return sum.sum()
  }

  /// STREAM triad a = b + s·c over `elements` floats per array on `threads` threads, `passes`
  /// passes per repeat; returns bytes/s per repeat (12 bytes per element per pass).
  public static func streamTriad(threads: Int, elements: Int, passes: Int, repeats: Int) -> [Double] {
    TriadBuffers(threads: threads, elements: elements).measure(passes: passes, repeats: repeats)
  }

  /// The triad's three arrays, first touched by the threads that stream them, kept for repeated
  /// measurements (a benchmark's rounds each measure the triad without allocating 3 × 128 MiB anew).
  public final class TriadBuffers: @unchecked Sendable {
    let a: SharedFloats, b: SharedFloats, c: SharedFloats
    let threads: Int, count: Int, chunk: Int

    public init(threads: Int, elements: Int) {
      self.threads = max(1, threads)
      count = max(elements, self.threads * 64)
      a = SharedFloats(count: count)
      b = SharedFloats(count: count)
      c = SharedFloats(count: count)
      chunk = (count + self.threads - 1) / self.threads
      let (a, b, c, chunk, n) = (a, b, c, chunk, count)
      DispatchQueue.concurrentPerform(iterations: self.threads) { t in
        for i in (t * chunk)..<min(n, (t + 1) * chunk) {
          a.base[i] = 0
          b.base[i] = 1
          c.base[i] = 2
        }
      }
    }

    deinit {
      a.deallocate()
      b.deallocate()
      c.deallocate()
    }

    /// Bytes/s per repeat of `passes` passes; NaN when the result is not b + 0.5·c = 2.
    public func measure(passes: Int, repeats: Int) -> [Double] {
      let (a, b, c, chunk, n) = (a, b, c, chunk, count)
      var results = [Double]()
      for _ in 0..<max(1, repeats) {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<max(1, passes) {
          DispatchQueue.concurrentPerform(iterations: threads) { t in
            Roofline.triad(a, b, c, (t * chunk)..<min(n, (t + 1) * chunk), 0.5)
          }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        results.append(Double(12 * n * max(1, passes)) / seconds)
      }
      if a.base[n / 2] != 2 { return results.map { _ in .nan } }  // the triad really ran
      return results
    }
  }

  @inline(never)
  static func triad(_ a: SharedFloats, _ b: SharedFloats, _ c: SharedFloats, _ range: Range<Int>, _ s: Float) {
    let pa = a.base
    let pb = b.base
    let pc = c.base
    for i in range { pa[i] = pb[i] + s * pc[i] }
  }
}

/// A float buffer shared by worker threads that write disjoint ranges (hence `@unchecked Sendable`).
struct SharedFloats: @unchecked Sendable {
  let base: UnsafeMutablePointer<Float>
  let count: Int
  init(count: Int) {
    self.count = count
    base = UnsafeMutablePointer<Float>.allocate(capacity: count)
  }
  func deallocate() { base.deallocate() }
}
