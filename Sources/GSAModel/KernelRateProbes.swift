import Foundation
import GSLKit

/// The kernel-rate micro-benchmarks of a measured machine profile: the project's own kernels
/// (GEMM, the dense flash tile loop, the indexer score tile, the sparse core) run alone on seeded
/// synthetic operands at fixed sizes, each on `workers` threads (1 for the per-thread rate, all
/// cores for the aggregate one), plus a read-only streaming bandwidth. Each returns one value per
/// repeat; they time kernels, never a layer.
extension KernelProbe {
  /// FLOP/s of `gemm` (C = A·B, m × k by k × n, 2mkn FLOPs) on `workers` threads, per repeat.
  public static func gemmRate(rows m: Int, inner k: Int, cols n: Int, workers: Int, repeats: Int, seed: UInt64) -> [Double] {
    let timing = gemm(rows: m, inner: k, cols: n, seed: seed, repeats: repeats, workers: workers)
    let flops = Double(timing.ledger.executed.total.flops)
    return timing.seconds.map { flops / $0 }
  }

  /// Executed FLOP/s of the dense flash-attention core (`denseAttention`, causal, H heads over one
  /// kv head of dimension d, length L) on `workers` threads, per repeat: its executed FLOPs (the
  /// tiles' 4d·R·C + 2RC + R(d + 3) and the groups' R·d) over the wall time, so the rate carries the
  /// tiles' exps, comparisons, masking and K/V reads at that length.
  public static func denseTileRate(
    length L: Int, heads H: Int, headDim d: Int, workers: Int, repeats: Int, seed: UInt64
  ) -> [Double] {
    let timing = denseCore(length: L, heads: H, kvHeads: 1, headDim: d, seed: seed, repeats: repeats, workers: workers)
    let flops = Double(timing.ledger.executed[.attention].flops)
    return timing.seconds.map { flops / $0 }
  }

  /// Executed FLOP/s of the indexer score kernel alone (`indexer(select: false)`: the 6 × 16
  /// micro-tiles over causal query blocks, scores discarded) at length L with `config`'s indexer
  /// heads, dimension and activation, on `workers` threads, per repeat: its executed pair FLOPs
  /// H_I(2d_I + 3) per pair over the wall time (the pairs' σ or ReLU are inside the rate).
  public static func indexerTileRate(
    length L: Int, config: LayerConfig, workers: Int, repeats: Int, seed: UInt64
  ) -> [Double] {
    let timing = indexer(length: L, config: config, select: false, seed: seed, repeats: repeats, workers: workers)
    let flops = Double(timing.ledger.executed[.indexer].flops)
    return timing.seconds.map { flops / $0 }
  }

  /// Seconds per gathered row of the sparse core (`sparseAttention`), per repeat: one kv group of
  /// dimension d serving `groupSize` query heads, K and V of `footprintBytes / (2·4·d)` keys (so
  /// the group's packed K and V span the footprint), the first `queries` queries each attending to
  /// k keys drawn uniformly (Floyd's sampling, seeded, ascending) from all the keys, the others to
  /// none; wall seconds / (queries · k). A row costs its K and V gathers at that footprint, the
  /// group's dot products, exp and P·V accumulation; the head-major copy of K and V is inside.
  /// One result per entry of `workerCounts` (the operands are built once for all of them).
  public static func sparseRowSeconds(
    footprintBytes: Int, groupSize G: Int, headDim d: Int, queries: Int, k: Int, workerCounts: [Int], repeats: Int, seed: UInt64
  ) -> [[Double]] {
    let keys = max(k + 1, footprintBytes / (2 * 4 * d))
    let queries = max(1, min(queries, keys))
    let rng = GSLRandom(seed: seed)
    var offsets = [Int](repeating: 0, count: keys + 1), counts = [Int](repeating: 0, count: keys)
    var indices = [Int32]()
    indices.reserveCapacity(queries * k)
    var chosen = Set<Int32>()
    for t in 0..<keys {
      if t < queries {
        chosen.removeAll(keepingCapacity: true)
        for j in (keys - k)..<keys {
          let r = Int32(min(j, Int(rng.uniform() * Double(j + 1))))
          chosen.insert(chosen.contains(r) ? Int32(j) : r)
        }
        indices += chosen.sorted()
        counts[t] = k
      }
      offsets[t + 1] = indices.count
    }
    let selection = SelectionSets(offsets: offsets, counts: counts, indices: indices, variances: [])
    let keyStride = roundUp(keys, 64)
    let q = random(keys * G * d, rng, scale: 1 / Double(d).squareRoot())
    let kv = random(2 * keyStride * d, rng)
    let out = UnsafeMutablePointer<Float>.allocate(capacity: keys * G * d)
    out.initialize(repeating: 0, count: keys * G * d)
    defer {
      q.deallocate()
      kv.deallocate()
      out.deallocate()
    }
    let inputs = AttentionInputs(
      queries: q, keysT: kv, valuesByHead: kv + keyStride * d, keys: kv, values: kv + keyStride * d, keyStride: keyStride, heads: G,
      kvHeads: 1, headDim: d)
    let rows = Double(queries * k)
    return workerCounts.map { workers in
      var scratch = FlopLedger()
      // One untimed run faults in the kernel's copies and scratch (as the layer's earlier passes do).
      sparseAttention(inputs, selection: selection, length: keys, output: out, ledger: &scratch, workers: workers)
      return (0..<max(1, repeats)).map { _ in
        var ledger = FlopLedger()
        let start = DispatchTime.now().uptimeNanoseconds
        sparseAttention(inputs, selection: selection, length: keys, output: out, ledger: &ledger, workers: workers)
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 / rows
      }
    }
  }

  /// Read-only streaming bandwidth, per repeat: `threads` threads each sum their contiguous share
  /// of one buffer of `elements` floats (larger than the last cache level), 8-wide with 4
  /// accumulators, `passes` times; 4·elements·passes bytes over the wall time.
  public static func readBandwidth(elements: Int, passes: Int, threads: Int, repeats: Int) -> [Double] {
    let threads = max(1, threads)
    let n = max(64 * threads, elements / (32 * threads) * 32 * threads)
    let buffer = allocateAligned(n)
    defer { buffer.deallocate() }
    buffer.initialize(repeating: 1, count: n)
    let base = SharedConstPointer(buffer)
    let sums = SharedPointer(UnsafeMutablePointer<Float>.allocate(capacity: threads))
    defer { sums.base.deallocate() }
    let share = n / threads, passes = max(1, passes)
    return (0..<max(1, repeats)).map { _ in
      let start = DispatchTime.now().uptimeNanoseconds
      _ = parallelTasks(taskCount: threads, workers: threads) { _, thread, _ in
        var total: Float = 0
        for _ in 0..<passes { total += sumRun(base.base + thread * share, count: share) }
        sums[thread] = total
      }
      let wall = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
      // A sum of ones, exact below 2²⁴ per accumulator lane: a wrong total means the reads did not run.
      for t in 0..<threads where !(sums[t] > 0) { return .nan }
      return Double(4 * n * passes) / wall
    }
  }

  @inline(never)
  static func sumRun(_ p: UnsafePointer<Float>, count n: Int) -> Float {
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
    var i = 0
    while i + 32 <= n {
      a0 += loadV(p + i)
      a1 += loadV(p + i + 8)
      a2 += loadV(p + i + 16)
      a3 += loadV(p + i + 24)
      i += 32
    }
    return horizontalSum((a0 + a1) + (a2 + a3))
  }
}

extension KernelProbe {
  /// Seconds per cached row of the dense decode core (`denseDecodePart`, G heads of dimension d
  /// per kv group), per repeat: each of `workers` threads streams its own contiguous K and V
  /// blocks of `rows` rows (footprint 2·4·d·rows bytes per thread, `passes` times per repeat), so
  /// small `rows` give the kernel's in-cache compute rate and large ones its rate from DRAM;
  /// wall seconds / (rows · passes), a per-thread row time (all threads run concurrently).
  public static func denseDecodeRowSeconds(
    rows: Int, groupSize G: Int, headDim d: Int, workers: Int, passes: Int, repeats: Int, seed: UInt64
  ) -> [Double] {
    let workers = max(1, workers), rows = max(1, rows), passes = max(1, passes)
    let rng = GSLRandom(seed: seed)
    let kv = random(workers * 2 * rows * d, rng)
    let q = random(G * d, rng, scale: 1 / Double(d).squareRoot())
    let scratchFloats = DenseDecode.scratchFloats(heads: G), partialFloats = DenseDecode.partialFloats(heads: G, headDim: d)
    let scratch = allocateAligned(workers * (scratchFloats + partialFloats))
    defer {
      kv.deallocate()
      q.deallocate()
      scratch.deallocate()
    }
    let pKV = SharedConstPointer(kv), pq = SharedConstPointer(q), pScratch = SharedPointer(scratch)
    return perWorkerSeconds(workers: workers, passes: passes, repeats: repeats, units: rows) { t in
      let keys = pKV.base + t * 2 * rows * d
      let work = pScratch.base + t * (scratchFloats + partialFloats)
      denseDecodePart(
        pq.base, heads: G, keys: keys, values: keys + rows * d, headDim: d, rows: rows, scores: work,
        partial: work + scratchFloats)
    }
  }

  /// Wall seconds per unit of `pass(worker)` run `passes` times by each of `workers` threads at
  /// once, per repeat, after one untimed run: wall / (units · passes), a per-thread unit time.
  static func perWorkerSeconds(
    workers: Int, passes: Int, repeats: Int, units: Int, _ pass: (_ worker: Int) -> Void
  ) -> [Double] {
    func run() {
      _ = parallelTasks(taskCount: workers, workers: workers) { _, t, _ in
        for _ in 0..<passes { pass(t) }
      }
    }
    run()
    return (0..<max(1, repeats)).map { _ in
      let start = DispatchTime.now().uptimeNanoseconds
      run()
      return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 / Double(units * passes)
    }
  }
}

extension KernelProbe {
  /// Weight bytes per second of `gemm` with one row (1 × k by k × n, a decode step's projection) on
  /// `workers` threads, per repeat, with the weights cold: before each timed call every worker
  /// streams its share of a `flushBytes` buffer (larger than the last cache level), as a layer's
  /// weights leave the caches between its decode steps while other layers' weights and caches
  /// pass through them. 4·k·n bytes over the call's wall time (its fixed costs inside).
  public static func coldGemvRate(
    inner k: Int, cols n: Int, workers: Int, repeats: Int, flushBytes: Int = 128 << 20, seed: UInt64
  ) -> [Double] {
    let rng = GSLRandom(seed: seed)
    let a = random(k, rng), b = random(k * n, rng)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: n)
    c.initialize(repeating: 0, count: n)
    let flushFloats = max(64 * workers, flushBytes / 4)
    let flush = allocateAligned(flushFloats)
    flush.initialize(repeating: 1, count: flushFloats)
    defer {
      a.deallocate()
      b.deallocate()
      c.deallocate()
      flush.deallocate()
    }
    let pFlush = SharedConstPointer(flush)
    let sums = SharedPointer(UnsafeMutablePointer<Float>.allocate(capacity: workers))
    defer { sums.base.deallocate() }
    let share = flushFloats / workers
    return (0..<max(1, repeats)).map { _ in
      _ = parallelTasks(taskCount: workers, workers: workers) { _, t, _ in
        sums[t] = sumRun(pFlush.base + t * share, count: share)
      }
      let start = DispatchTime.now().uptimeNanoseconds
      _ = GSAModel.gemm(a, rows: 1, inner: k, b, cols: n, into: c, workers: workers)
      let wall = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
      // A sum of ones: a wrong total means the flush did not run (as in `readBandwidth`).
      for t in 0..<workers where !(sums[t] > 0) { return .nan }
      return Double(4 * k * n) / wall
    }
  }
}

extension KernelProbe {
  /// Seconds per cached key of the decode indexer's scoring (`scoreDecodeRow`: H_I heads of d_I,
  /// σ or ReLU), per repeat: each of `workers` threads scores one query against its own block of
  /// `keys` keys in the cache's chunked layout (footprint 4·d_I·keys bytes per thread, `passes`
  /// times per repeat); wall seconds / (keys · passes), a per-thread key time.
  public static func decodeIndexerKeySeconds(
    keys: Int, heads HI: Int, dim dI: Int, relu: Bool, workers: Int, passes: Int, repeats: Int, seed: UInt64
  ) -> [Double] {
    let workers = max(1, workers), chunks = max(1, (keys + 15) / 16), passes = max(1, passes)
    let rng = GSLRandom(seed: seed)
    let keyFloats = chunks * 16 * dI
    let block = random(workers * keyFloats, rng)
    let q = random(HI * dI, rng, scale: 1 / Double(dI).squareRoot()), w = random(HI, rng), bias = random(HI, rng)
    let scores = allocateAligned(workers * chunks * 16)
    defer {
      block.deallocate()
      q.deallocate()
      w.deallocate()
      bias.deallocate()
      scores.deallocate()
    }
    let pBlock = SharedConstPointer(block), pq = SharedConstPointer(q), pw = SharedConstPointer(w)
    let pBias = SharedConstPointer(bias), pScores = SharedPointer(scores)
    return perWorkerSeconds(workers: workers, passes: passes, repeats: repeats, units: chunks * 16) { t in
      scoreDecodeRow(
        pq.base, weights: pw.base, bias: pBias.base, heads: HI, dim: dI, relu: relu, keys: pBlock.base + t * keyFloats,
        chunks: 0..<chunks, into: pScores.base + t * chunks * 16)
    }
  }

  /// Transcendentals per second of the RoPE tables (`AttentionLayer.ropeTables`: float64 libm cos
  /// and sin of each position's angles, a pow per frequency) for `length` positions at head
  /// dimension d on `workers` threads, per repeat: the ledger's d/2 + 2·length·d/2 over the wall
  /// time, the angle products and float32 stores inside.
  public static func ropeTableRate(length L: Int, headDim d: Int, workers: Int, repeats: Int) -> [Double] {
    let half = d / 2
    let count = Double(half + 2 * L * half)
    return (0..<max(1, repeats)).map { _ in
      let start = DispatchTime.now().uptimeNanoseconds
      let tables = AttentionLayer.ropeTables(first: 0, count: L, headDim: d, base: 10000, workers: workers)
      let wall = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
      tables.cos.deallocate()
      tables.sin.deallocate()
      return count / wall
    }
  }

  /// Seconds of one empty `parallelTasks` region on `workers` threads, per repeat, each after the
  /// workers sat idle for `idleMicroseconds` (as between the passes of a decode step): the fixed
  /// cost of waking the pool and joining it.
  public static func dispatchSeconds(workers: Int, idleMicroseconds: Int, repeats: Int) -> [Double] {
    (0..<max(1, repeats)).map { _ in
      if idleMicroseconds > 0 { usleep(UInt32(idleMicroseconds)) }
      let start = DispatchTime.now().uptimeNanoseconds
      _ = parallelTasks(taskCount: max(1, workers), workers: max(1, workers)) { _, _, _ in }
      return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }
  }
}
