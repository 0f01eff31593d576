import CKernelSupport
import Dispatch
import Foundation
import Synchronization

/// The tile sizes the kernels use; the executed FLOP counts depend on them (padding, masked
/// entries), so the cost model takes the same values.
public struct KernelTiling: Sendable, Hashable, Codable {
  /// Indexer: queries per register micro-tile (the score buffer is padded to a multiple; the
  /// micro-kernel is compiled for 6).
  public var indexerRowGroup: Int
  /// Indexer: keys per register micro-tile (keys are padded to a multiple; compiled for 16).
  public var indexerKeyChunk: Int
  /// Indexer: queries per task (multiple of `indexerRowGroup`); each worker keeps a
  /// `indexerQueryBlock × L` float32 score buffer. 12 keeps it in cache between scoring and
  /// selection (1.5 MiB at L = 32768, 6 MiB at 131072). Measured at L = 32768, 2 × 16 indexer:
  /// one thread, scores 0.83–1.04 s against 0.97–1.07 s with 48 (3 interleaved rounds; equal at
  /// 8192); both threads, 6 rounds, scores median 0.44 against 0.48 s, scores + top-k best
  /// 0.83 against 0.91 s, median 0.98 against 1.01 s.
  public var indexerQueryBlock: Int
  /// Dense attention: query rows per online-softmax group (a multiple of 6).
  public var denseRowGroup: Int
  /// Dense attention: keys per online-softmax tile (the kernel is compiled for 64,
  /// `denseTileKeys`: its micro-kernels' strides are constants).
  public var denseKeyTile: Int
  /// Dense attention: row groups per task.
  public var denseGroupsPerTask: Int

  public init(
    indexerRowGroup: Int = 6, indexerKeyChunk: Int = 16, indexerQueryBlock: Int = 12,
    denseRowGroup: Int = 12, denseKeyTile: Int = 64, denseGroupsPerTask: Int = 8
  ) {
    self.indexerRowGroup = indexerRowGroup
    self.indexerKeyChunk = indexerKeyChunk
    self.indexerQueryBlock = indexerQueryBlock
    self.denseRowGroup = denseRowGroup
    self.denseKeyTile = denseKeyTile
    self.denseGroupsPerTask = denseGroupsPerTask
  }

  /// The tiling the kernels are compiled for (the micro-kernels assume these values).
  public static let standard = KernelTiling()
}

@inlinable func roundUp(_ n: Int, _ multiple: Int) -> Int { (n + multiple - 1) / multiple * multiple }

/// A pointer that may cross into `concurrentPerform` workers; each worker writes disjoint ranges.
struct SharedPointer<T>: @unchecked Sendable {
  let base: UnsafeMutablePointer<T>
  init(_ base: UnsafeMutablePointer<T>) { self.base = base }
  @inline(__always) subscript(i: Int) -> T {
    get { base[i] }
    nonmutating set { base[i] = newValue }
  }
}

/// A read-only pointer for workers.
struct SharedConstPointer<T>: @unchecked Sendable {
  let base: UnsafePointer<T>
  init(_ base: UnsafePointer<T>) { self.base = base }
  init(_ base: UnsafeMutablePointer<T>) { self.base = UnsafePointer(base) }
  @inline(__always) subscript(i: Int) -> T { base[i] }
}

final class TaskCounter: Sendable {
  let next = Atomic<Int>(0)
  func take() -> Int { next.wrappingAdd(1, ordering: .relaxed).oldValue }
}

/// Number of worker threads the kernels use: all active cores, or the `GSA_THREADS`
/// environment variable when it is a positive integer (for single-core measurements).
public let kernelWorkerCount: Int = {
  if let text = ProcessInfo.processInfo.environment["GSA_THREADS"], let n = Int(text), n >= 1 { return n }
  return max(1, ProcessInfo.processInfo.activeProcessorCount)
}()

/// Whether `parallelTasks(taskCount:workers:)` opens a parallel region (wakes workers and joins
/// them): with two or more tasks and two or more workers; otherwise it runs the tasks inline.
@inlinable public func opensParallelRegion(tasks: Int, workers: Int = kernelWorkerCount) -> Bool {
  min(tasks, workers) > 1
}

/// Runs `taskCount` tasks on up to `kernelWorkerCount` workers (dynamic scheduling); each worker
/// gets its index (for private scratch) and accumulates a private ledger; the ledgers are summed
/// in worker order (integer sums: the result does not depend on scheduling). Each region it opens
/// (`opensParallelRegion`) is counted on the calling thread (`gsa_count_parallel_region`).
func parallelTasks(
  taskCount: Int, workers requested: Int = kernelWorkerCount,
  _ body: (_ worker: Int, _ task: Int, _ ledger: inout FlopLedger) -> Void
) -> FlopLedger {
  guard taskCount > 0 else { return FlopLedger() }
  guard opensParallelRegion(tasks: taskCount, workers: requested) else {
    var ledger = FlopLedger()
    for task in 0..<taskCount { body(0, task, &ledger) }
    return ledger
  }
  gsa_count_parallel_region()
  let workers = min(requested, taskCount)
  let partials = UnsafeMutablePointer<FlopLedger>.allocate(capacity: workers)
  partials.initialize(repeating: FlopLedger(), count: workers)
  defer { partials.deinitialize(count: workers); partials.deallocate() }
  let shared = SharedPointer(partials)
  let counter = TaskCounter()
  withoutActuallyEscaping(body) { body in
    let box = UncheckedBox(body)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      var ledger = FlopLedger()
      while true {
        let task = counter.take()
        if task >= taskCount { break }
        box.value(worker, task, &ledger)
      }
      shared[worker] = ledger
    }
  }
  var total = FlopLedger()
  for w in 0..<workers { total += partials[w] }
  return total
}

struct UncheckedBox<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}
