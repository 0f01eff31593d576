import Dispatch
import Foundation
import GSLKit

/// The dense decode core alone, for the decode kernel's measurements (`kernel-bench decode`): one
/// query per kv head (G = H/H_kv heads each) against L cached rows per kv head, laid out as a
/// `KVCache` lays them out (contiguous K and V blocks per kv head), seeded Gaussian data.
extension KernelProbe {
  /// The dense decode core's implementations.
  public enum DenseDecodeKernel: Sendable, CustomStringConvertible {
    /// The sparse core's `attendQuery` over the index list 0 ..< L (all G·L scores, softmax, then
    /// P·V), one task per kv head: the core the blocked kernel replaced.
    case indexList
    /// `denseDecodePart` over parts of `splitRows` rows, blocks of `blockRows`, software prefetch
    /// `prefetchRows` ahead (0: none), the G = 4 group-blocked score path or (`groupBlocked`
    /// false) the one-head-at-a-time one, then `combineDenseDecodeParts`.
    case blocked(splitRows: Int, blockRows: Int, prefetchRows: Int, groupBlocked: Bool = true)

    public var description: String {
      switch self {
      case .indexList: return "index list (two passes)"
      case let .blocked(split, block, prefetch, groupBlocked):
        return "blocked split \(split) block \(block)" + (prefetch > 0 ? " prefetch \(prefetch)" : "")
          + (groupBlocked ? "" : ", scores per head")
      }
    }
  }

  /// Seconds of each round for each kernel (rounds interleaved: one run of every kernel per
  /// round, on the same cache) at length L, H_kv kv heads of G query heads of dimension d, on
  /// `kernelWorkerCount` workers; the outputs of every kernel are checked against the first's
  /// (NaN seconds when a kernel's output differs by more than 1e-4 relative).
  public static func denseDecode(
    length L: Int, kvHeads Hkv: Int, groupSize G: Int, headDim d: Int, kernels: [DenseDecodeKernel], rounds: Int,
    seed: UInt64 = 1
  ) -> [[Double]] {
    let rng = GSLRandom(seed: seed)
    let keys = allocateAligned(Hkv * L * d), values = allocateAligned(Hkv * L * d)
    for i in 0..<(Hkv * L * d) {
      keys[i] = Float(rng.gaussian(sigma: 1))
      values[i] = Float(rng.gaussian(sigma: 1))
    }
    let q = UnsafeMutablePointer<Float>.allocate(capacity: Hkv * G * d)
    for i in 0..<(Hkv * G * d) { q[i] = Float(rng.gaussian(sigma: 1 / Double(d).squareRoot())) }
    let rows = UnsafeMutablePointer<Int32>.allocate(capacity: L)
    for s in 0..<L { rows[s] = Int32(s) }
    let workers = kernelWorkerCount
    let scratchFloats = max(attendQueryScratchFloats(heads: G, keys: L), DenseDecode.scratchFloats(heads: G, blockRows: 512))
    let scratch = allocateAligned(workers * scratchFloats)
    let maxParts =
      kernels.map { kernel -> Int in
        if case let .blocked(split, _, _, _) = kernel { return DenseDecode.parts(rows: L, splitRows: split) }
        return 1
      }.max() ?? 1
    let partialFloats = DenseDecode.partialFloats(heads: G, headDim: d)
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: Hkv * maxParts * partialFloats)
    let outputs = kernels.map { _ in UnsafeMutablePointer<Float>.allocate(capacity: Hkv * G * d) }
    defer {
      keys.deallocate()
      values.deallocate()
      q.deallocate()
      rows.deallocate()
      scratch.deallocate()
      partials.deallocate()
      for o in outputs { o.deallocate() }
    }
    let pK = SharedConstPointer(keys), pV = SharedConstPointer(values), pq = SharedConstPointer(q)
    let pRows = SharedConstPointer(rows), pScratch = SharedPointer(scratch), pPartials = SharedPointer(partials)
    func run(_ kernel: DenseDecodeKernel, _ output: UnsafeMutablePointer<Float>) {
      let po = SharedPointer(output)
      switch kernel {
      case .indexList:
        _ = parallelTasks(taskCount: Hkv) { worker, g, _ in
          attendQuery(
            pq.base + g * G * d, heads: G, keys: pK.base + g * L * d, values: pV.base + g * L * d, headDim: d,
            selected: pRows.base, count: L, scratch: pScratch.base + worker * scratchFloats, output: po.base + g * G * d)
        }
      case let .blocked(split, block, prefetch, groupBlocked):
        let parts = DenseDecode.parts(rows: L, splitRows: split)
        _ = parallelTasks(taskCount: Hkv * parts) { worker, task, _ in
          let g = task / parts, first = (task % parts) * split
          denseDecodePart(
            pq.base + g * G * d, heads: G, keys: pK.base + (g * L + first) * d, values: pV.base + (g * L + first) * d,
            headDim: d, rows: min(L, first + split) - first, blockRows: block, prefetchRows: prefetch,
            groupBlocked: groupBlocked, scores: pScratch.base + worker * scratchFloats, partial: pPartials.base + task * partialFloats)
        }
        for g in 0..<Hkv {
          combineDenseDecodeParts(
            pPartials.base + g * parts * partialFloats, count: parts, partialStride: partialFloats, heads: G, headDim: d,
            output: po.base + g * G * d)
        }
      }
    }
    var seconds = [[Double]](repeating: [], count: kernels.count)
    for (i, kernel) in kernels.enumerated() { run(kernel, outputs[i]) }
    let scale = (0..<(Hkv * G * d)).map { abs(outputs[0][$0]) }.max() ?? 1
    let agrees = outputs.map { o in (0..<(Hkv * G * d)).allSatisfy { abs(o[$0] - outputs[0][$0]) <= 1e-4 * scale } }
    for _ in 0..<max(1, rounds) {
      for (i, kernel) in kernels.enumerated() {
        let start = DispatchTime.now().uptimeNanoseconds
        run(kernel, outputs[i])
        seconds[i].append(agrees[i] ? Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 : .nan)
      }
    }
    return seconds
  }
}
