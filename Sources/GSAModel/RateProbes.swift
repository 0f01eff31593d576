import Foundation
import GSLKit
import Synchronization

/// The machine-rate micro-benchmarks behind a measured machine profile: random-row gathers at a
/// given footprint, top-k selection, and the vectorised sigmoid and exp, each on an explicit
/// number of threads (1 for the per-thread rate, all cores for the aggregate one). Every probe
/// returns one value per repeat; nothing here is asserted on in tests beyond being positive.
extension KernelProbe {
  /// Runs `body(thread)` on `threads` threads at once and returns the wall seconds.
  private static func wallSeconds(threads: Int, _ body: (Int) -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    if threads == 1 {
      body(0)
    } else {
      withoutActuallyEscaping(body) { body in
        let box = UncheckedBox(body)
        DispatchQueue.concurrentPerform(iterations: threads) { box.value($0) }
      }
    }
    return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
  }

  /// Gathered bytes per second of each repeat when `threads` threads each read `gathersPerThread`
  /// rows of `rowFloats` floats at uniformly random rows (xorshift64*, 8 rows in flight) of one
  /// shared buffer of `footprintBytes` (rounded down to whole rows, at least one row), allocated
  /// like the sparse core's K/V copies (huge-page advised from 4 MiB) and faulted in before timing.
  /// Counts `threads · gathers · rowFloats · 4` bytes per repeat over its wall time.
  public static func gatherRate(
    footprintBytes: Int, rowFloats: Int, gathersPerThread: Int, threads: Int, repeats: Int, seed: UInt64
  ) -> [Double] {
    precondition(rowFloats > 0 && rowFloats % 8 == 0, "rowFloats must be a positive multiple of 8")
    let rows = max(1, footprintBytes / (rowFloats * 4))
    let threads = max(1, threads)
    let buffer = allocateAligned(rows * rowFloats)
    defer { buffer.deallocate() }
    buffer.initialize(repeating: 1, count: rows * rowFloats)
    let base = SharedConstPointer(buffer)
    let gathers = max(8, gathersPerThread / 8 * 8)
    let sums = SharedPointer(UnsafeMutablePointer<Float>.allocate(capacity: threads))
    defer { sums.base.deallocate() }
    // One untimed pass warms the caches (and the TLB) for the footprints that fit in them.
    _ = gatherRows(base.base, rows: rows, rowFloats: rowFloats, gathers: min(gathers, 8 * rows), seed: seed)
    return (0..<max(1, repeats)).map { repeatIndex in
      let wall = wallSeconds(threads: threads) { thread in
        sums[thread] = gatherRows(
          base.base, rows: rows, rowFloats: rowFloats, gathers: gathers,
          seed: seed &+ UInt64(repeatIndex * threads + thread + 1) &* 0x9E37_79B9_7F4A_7C15)
      }
      // The sums are of ones: a wrong total means the loads did not run.
      let expected = Float(gathers * rowFloats)
      for t in 0..<threads where !(abs(sums[t] - expected) <= 1e-3 * expected) { return .nan }
      return Double(threads * gathers * rowFloats * 4) / wall
    }
  }

  /// Seconds per candidate of each repeat of `TopK.select` with budget `k` on `rows` seeded
  /// Gaussian score rows of `candidates` floats, when `threads` threads each select on all the
  /// rows at once (private scratch and output per thread): wall seconds / (threads · rows · n).
  public static func topKSecondsPerCandidate(
    candidates n: Int, k: Int, rows: Int, threads: Int, repeats: Int, seed: UInt64
  ) -> [Double] {
    precondition(n > 0 && k > 0 && k < n && rows > 0, "0 < k < candidates, rows > 0")
    let threads = max(1, threads)
    let rng = GSLRandom(seed: seed)
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: rows * n)
    for i in 0..<(rows * n) { scores[i] = Float(rng.gaussian(sigma: 1)) }
    let scratchSize = TopK.scratchSize(candidates: n)
    let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: threads * scratchSize)
    scratch.initialize(repeating: 0, count: threads * scratchSize)
    let out = UnsafeMutablePointer<Int32>.allocate(capacity: threads * k)
    out.initialize(repeating: 0, count: threads * k)
    let selected = SharedPointer(UnsafeMutablePointer<Int>.allocate(capacity: threads))
    defer {
      scores.deallocate()
      scratch.deallocate()
      out.deallocate()
      selected.base.deallocate()
    }
    let pScores = SharedConstPointer(scores), pScratch = SharedPointer(scratch), pOut = SharedPointer(out)
    return (0..<max(1, repeats)).map { _ in
      let wall = wallSeconds(threads: threads) { thread in
        var comparisons = 0, total = 0
        for r in 0..<rows {
          total += TopK.select(
            pScores.base + r * n, count: n, k: k, scratch: pScratch.base + thread * scratchSize, into: pOut.base + thread * k,
            comparisons: &comparisons)
        }
        selected[thread] = total
      }
      for t in 0..<threads where selected[t] != rows * k { return .nan }
      return wall / Double(threads * rows * n)
    }
  }

  /// The transcendental functions the layer's kernels evaluate element-wise.
  public enum Transcendental: String, Sendable, CaseIterable {
    /// σ(x) = 1/(1 + e^{−x}) (`sigmoidV`: the value and output gates).
    case sigmoid
    /// e^x (`expV`: the sparse core's softmax).
    case exp
  }

  /// Evaluations per second of each repeat of `function` on 8-wide vectors over a seeded buffer of
  /// `elements` floats in [−8, 8] (L1-resident for ≤ 8192 elements), `passes` passes per thread,
  /// `threads` threads at once; each thread sums the results (one vector add per 8 evaluations,
  /// which keeps the work observable): threads · passes · elements / wall seconds.
  public static func transcendentalRate(
    _ function: Transcendental, elements: Int, passes: Int, threads: Int, repeats: Int, seed: UInt64
  ) -> [Double] {
    let n = max(8, elements / 8 * 8)
    let threads = max(1, threads)
    let rng = GSLRandom(seed: seed)
    let input = UnsafeMutablePointer<Float>.allocate(capacity: n)
    for i in 0..<n { input[i] = Float(rng.uniform(in: -8, 8)) }
    let sums = SharedPointer(UnsafeMutablePointer<Float>.allocate(capacity: threads))
    defer {
      input.deallocate()
      sums.base.deallocate()
    }
    let pInput = SharedConstPointer(input)
    let passes = max(1, passes)
    return (0..<max(1, repeats)).map { _ in
      let wall = wallSeconds(threads: threads) { thread in
        sums[thread] = transcendentalSum(function, pInput.base, count: n, passes: passes)
      }
      // σ and exp of finite inputs are positive and finite.
      for t in 0..<threads where !(sums[t].isFinite && sums[t] > 0) { return .nan }
      return Double(threads * passes * n) / wall
    }
  }

  @inline(never)
  private static func transcendentalSum(
    _ function: Transcendental, _ input: UnsafePointer<Float>, count n: Int, passes: Int
  ) -> Float {
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
    switch function {
    case .sigmoid:
      for _ in 0..<passes {
        var i = 0
        while i + 16 <= n {
          a0 += sigmoidV(loadV(input + i))
          a1 += sigmoidV(loadV(input + i + 8))
          i += 16
        }
        if i < n { a0 += sigmoidV(loadV(input + i)) }
      }
    case .exp:
      for _ in 0..<passes {
        var i = 0
        while i + 16 <= n {
          a0 += expV(loadV(input + i))
          a1 += expV(loadV(input + i + 8))
          i += 16
        }
        if i < n { a0 += expV(loadV(input + i)) }
      }
    }
    return horizontalSum(a0 + a1)
  }
}
