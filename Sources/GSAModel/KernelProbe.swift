import Foundation
import GSLKit
import Synchronization

/// Times the attention-core kernels in isolation on seeded random operands (for benchmarks and
/// `sweep`-style measurements; nothing here is asserted in tests).
public enum KernelProbe {
  /// Counts of the probed kernel and the wall time of each repeat.
  public struct Timing: Sendable {
    public var ledger: FlopLedger
    /// Wall time of each repeat.
    public var seconds: [Double]
    /// Process CPU time of each repeat (all workers): robust to other processes on the cores.
    public var cpuSeconds: [Double] = []
    /// Executed GFLOP/s per busy core (executed flops / median CPU seconds).
    public var executedGFLOPSPerCore: Double {
      let s = cpuSeconds.sorted()
      return s.isEmpty ? .nan : Double(ledger.executed.total.flops) / s[s.count / 2] / 1e9
    }
    public var medianSeconds: Double {
      let s = seconds.sorted()
      return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }
    /// Executed multiply/add GFLOP/s at the median time.
    public var executedGFLOPS: Double { Double(ledger.executed.total.flops) / medianSeconds / 1e9 }
    /// Useful multiply/add GFLOP/s at the median time.
    public var usefulGFLOPS: Double { Double(ledger.useful.total.flops) / medianSeconds / 1e9 }

    /// This timing with `other`'s repeats appended (the same kernel and operands; the ledger
    /// stays this one's, which equals `other`'s).
    public func appending(_ other: Timing) -> Timing {
      Timing(ledger: ledger, seconds: seconds + other.seconds, cpuSeconds: cpuSeconds + other.cpuSeconds)
    }
  }

  private static func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  /// CPU seconds used by the whole process so far.
  public static func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
  }

  /// Wall and CPU seconds of `body`.
  private static func measure(_ body: () -> Void) -> (wall: Double, cpu: Double) {
    let cpu0 = processCPUSeconds()
    let wall = seconds(body)
    return (wall, processCPUSeconds() - cpu0)
  }

  /// Runs `body` `repeats` times (at least once), timing each run; the ledger is the first run's.
  private static func timed(repeats: Int, _ body: (inout FlopLedger) -> Void) -> Timing {
    var ledger = FlopLedger()
    var times: [Double] = []
    var cpu: [Double] = []
    for r in 0..<max(1, repeats) {
      var l = FlopLedger()
      let m = measure { body(&l) }
      times.append(m.wall)
      cpu.append(m.cpu)
      if r == 0 { ledger = l }
    }
    return Timing(ledger: ledger, seconds: times, cpuSeconds: cpu)
  }

  static func random(_ count: Int, _ rng: GSLRandom, scale: Double = 1) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
    for i in 0..<count { p[i] = Float(rng.gaussian(sigma: scale)) }
    return p
  }

  /// The dense (flash-style) attention core alone: H heads over H_kv kv heads of dimension d,
  /// length L, random Q/K/V. The ledger holds the attention bucket (without the Q scaling).
  public static func denseCore(
    length L: Int, heads H: Int, kvHeads Hkv: Int, headDim d: Int, causal: Bool = true, seed: UInt64 = 1,
    repeats: Int = 3, workers: Int = kernelWorkerCount
  ) -> Timing {
    let tiling = KernelTiling.standard
    let rng = GSLRandom(seed: seed)
    let qRows = roundUp(L, tiling.denseRowGroup), keyStride = roundUp(L, tiling.denseKeyTile)
    let q = random(qRows * H * d, rng, scale: 1 / Double(d).squareRoot())
    let kT = random(Hkv * d * keyStride, rng)
    let v = random(keyStride * Hkv * d, rng)
    // Touched before timing: first-touch page faults are not the kernel's cost (a single-repeat
    // call would otherwise pay them inside its only timed run).
    let out = UnsafeMutablePointer<Float>.allocate(capacity: L * H * d)
    out.initialize(repeating: 0, count: L * H * d)
    defer {
      q.deallocate()
      kT.deallocate()
      v.deallocate()
      out.deallocate()
    }
    let inputs = AttentionInputs(
      queries: q, keysT: kT, valuesByHead: v, keys: v, values: v, keyStride: keyStride, heads: H, kvHeads: Hkv, headDim: d)
    return timed(repeats: repeats) {
      denseAttention(inputs, length: L, causal: causal, tiling: tiling, output: out, ledger: &$0, workers: workers)
    }
  }

  /// Seeded random indexer operands for length L (the probes' shared setup): queries scaled by
  /// 1/√d_I, Kᵀ in 16-key chunks, head weights and biases, the config's activation. Release with
  /// `deallocate(_:)`.
  private static func randomIndexerInputs(length L: Int, config: LayerConfig, seed: UInt64) -> IndexerInputs {
    let rng = GSLRandom(seed: seed)
    let HI = config.indexerHeads, dI = config.indexerDim
    let rows = roundUp(L, indexerRows), keyStride = roundUp(L, 16)
    let q = random(rows * HI * dI, rng, scale: 1 / Double(dI).squareRoot())
    let kT = random(dI * keyStride, rng)
    let w = random(rows * HI, rng)
    let bias = random(HI, rng)
    return IndexerInputs(
      queries: q, rows: rows, keysT: kT, keyStride: keyStride, weights: w, bias: bias, heads: HI, dim: dI,
      relu: config.indexerActivation == .relu)
  }

  private static func deallocate(_ inputs: IndexerInputs) {
    for p in [inputs.queries, inputs.keysT, inputs.weights, inputs.bias] { UnsafeMutablePointer(mutating: p).deallocate() }
  }

  /// The lightning-indexer score kernel alone (streaming over query blocks, scores discarded)
  /// when `select` is false; the indexer plus top-k selection (`indexAndSelect`) when true.
  public static func indexer(
    length L: Int, config: LayerConfig, select: Bool = false, seed: UInt64 = 1, repeats: Int = 3,
    workers requested: Int = kernelWorkerCount
  ) -> Timing {
    let tiling = KernelTiling.standard
    let inputs = randomIndexerInputs(length: L, config: config, seed: seed)
    defer { deallocate(inputs) }
    let HI = inputs.heads, dI = inputs.dim
    return timed(repeats: repeats) { l in
      if select {
        _ = indexAndSelect(inputs, length: L, config: config, tiling: tiling, ledger: &l)
      } else {
        let block = tiling.indexerQueryBlock
        let blocks = (L + block - 1) / block
        let workers = max(1, min(requested, blocks))
        let ldb = inputs.scoreBufferStride
        let buffers = UnsafeMutablePointer<Float>.allocate(capacity: workers * block * ldb)
        defer { buffers.deallocate() }
        let pBuffers = SharedPointer(buffers)
        let box = UncheckedBox(inputs)
        let pair = indexerPairCounts(heads: HI, dim: dI, relu: inputs.relu)
        l += parallelTasks(taskCount: blocks, workers: workers) { worker, task, ledger in
          let t0 = task * block
          let t1 = min(L, t0 + block)
          let pairs = scoreQueryBlock(
            box.value, t0: t0, rows: roundUp(t1 - t0, indexerRows), length: L, causal: config.causal,
            into: pBuffers.base + worker * block * ldb, bufferStride: ldb)
          ledger.addExecuted(.indexer, pair.times(pairs))
          var useful = 0
          for t in t0..<t1 { useful += config.candidateCount(query: t, length: L) }
          ledger.addUseful(.indexer, pair.times(useful))
        }
      }
    }
  }

  /// The top-k selection alone, on one thread: the indexer scores the last query block of a length-L
  /// sequence once (rows of ≈ L causal candidates, untimed), then each repeat runs `TopK.select`
  /// with budget k on every row of that block. Per-candidate cost = seconds / Σ n_t over the block.
  public static func selection(length L: Int, config: LayerConfig, k: Int, seed: UInt64 = 1, repeats: Int = 3) -> Timing {
    let block = KernelTiling.standard.indexerQueryBlock
    let queries = lastQueryBlock(length: L)
    let inputs = randomIndexerInputs(length: L, config: config, seed: seed)
    let ldb = inputs.scoreBufferStride
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: block * ldb)
    let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: TopK.scratchSize(candidates: L))
    let out = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, k))
    defer {
      deallocate(inputs)
      buffer.deallocate()
      scratch.deallocate()
      out.deallocate()
    }
    let t0 = queries.lowerBound, t1 = queries.upperBound
    _ = scoreQueryBlock(
      inputs, t0: t0, rows: roundUp(t1 - t0, indexerRows), length: L, causal: config.causal, into: buffer, bufferStride: ldb)
    return timed(repeats: repeats) { ledger in
      var comparisons = 0
      for t in t0..<t1 {
        let n = config.candidateCount(query: t, length: L)
        TopK.select(buffer + (t - t0) * ldb, count: n, k: min(k, n), scratch: scratch, into: out, comparisons: &comparisons)
      }
      ledger.add(.selection, FlopCounts(comparisons: comparisons))
    }
  }

  /// Σ n_t over the queries `selection` times (the last query block): its per-candidate cost is
  /// seconds / this.
  public static func selectionCandidates(length L: Int, config: LayerConfig) -> Int {
    lastQueryBlock(length: L).reduce(0) { $0 + config.candidateCount(query: $1, length: L) }
  }

  /// The last block of `indexerQueryBlock` queries of a length-L sequence.
  private static func lastQueryBlock(length L: Int) -> Range<Int> {
    let block = KernelTiling.standard.indexerQueryBlock
    let t0 = max(0, (L - 1) / block * block)
    return t0..<min(L, t0 + block)
  }

  /// Uniformly random causal selection sets: query t keeps min(k, t + 1) distinct keys of 0 ... t
  /// (Floyd's sampling, seeded), ascending. With random weights the indexer's top-k sets have no
  /// locality either, so these stand in for them when the sparse core is timed alone.
  public static func randomSelection(length L: Int, k: Int, seed: UInt64) -> SelectionSets {
    let rng = GSLRandom(seed: seed)
    var offsets = [Int](repeating: 0, count: L + 1)
    var counts = [Int](repeating: 0, count: L)
    for t in 0..<L {
      counts[t] = min(k, t + 1)
      offsets[t + 1] = offsets[t] + counts[t]
    }
    var indices = [Int32](repeating: 0, count: offsets[L])
    var chosen = Set<Int32>()
    for t in 0..<L {
      let n = t + 1, m = counts[t]
      if m == n {
        for s in 0..<n { indices[offsets[t] + s] = Int32(s) }
        continue
      }
      chosen.removeAll(keepingCapacity: true)
      for j in (n - m)..<n {
        let r = Int32(min(j, Int(rng.uniform() * Double(j + 1))))
        chosen.insert(chosen.contains(r) ? Int32(j) : r)
      }
      let sorted = chosen.sorted()
      for (i, s) in sorted.enumerated() { indices[offsets[t] + i] = s }
    }
    return SelectionSets(offsets: offsets, counts: counts, indices: indices, variances: [])
  }

  /// The sparse attention core alone: H heads over H_kv kv heads of dimension d, length L, each
  /// query attending to `selection` (default: `randomSelection` with k keys).
  public static func sparseCore(
    length L: Int, heads H: Int, kvHeads Hkv: Int, headDim d: Int, k: Int, seed: UInt64 = 1, repeats: Int = 3
  ) -> Timing {
    let rng = GSLRandom(seed: seed)
    let selection = randomSelection(length: L, k: k, seed: seed &+ 1)
    let keyStride = roundUp(L, 64)
    let q = random(L * H * d, rng, scale: 1 / Double(d).squareRoot())
    let keys = random(keyStride * Hkv * d, rng)
    let values = random(keyStride * Hkv * d, rng)
    let out = UnsafeMutablePointer<Float>.allocate(capacity: L * H * d)
    out.initialize(repeating: 0, count: L * H * d)  // pre-faulted, as in `denseCore`
    defer {
      q.deallocate()
      keys.deallocate()
      values.deallocate()
      out.deallocate()
    }
    let inputs = AttentionInputs(
      queries: q, keysT: keys, valuesByHead: values, keys: keys, values: values, keyStride: keyStride, heads: H,
      kvHeads: Hkv, headDim: d)
    return timed(repeats: repeats) { sparseAttention(inputs, selection: selection, length: L, output: out, ledger: &$0) }
  }

  /// Bandwidth of random row gathers, the sparse core's access pattern without its arithmetic:
  /// every worker reads `gathersPerWorker` rows of `rowFloats` floats at uniformly random rows of
  /// one shared `rows` × `rowFloats` buffer (huge-page advised, like the sparse core's K and V
  /// copies), 8 independent rows in flight, and sums them. Returns gathered bytes per second of
  /// each repeat (all workers): how fast uniformly scattered rows come from wherever a footprint
  /// of this size lives on this machine. Not a bound for the sparse core: its causal selections
  /// favour early keys, whose rows stay cached, so it can read faster than this.
  public static func gatherBandwidth(
    rows: Int, rowFloats: Int, gathersPerWorker: Int, repeats: Int = 5, seed: UInt64 = 1
  ) -> [Double] {
    precondition(rows > 0 && rowFloats > 0 && rowFloats % 8 == 0, "rows > 0, rowFloats a positive multiple of 8")
    let buffer = allocateAligned(rows * rowFloats)
    defer { buffer.deallocate() }
    // The values do not matter (only the reads are timed); writing them faults the pages in.
    buffer.initialize(repeating: 1, count: rows * rowFloats)
    let base = SharedConstPointer(buffer)
    let workers = kernelWorkerCount
    let gathers = max(8, gathersPerWorker / 8 * 8)
    return (0..<max(1, repeats)).map { repeatIndex in
      let sink = Mutex(Float(0))
      let wall = seconds {
        _ = parallelTasks(taskCount: workers, workers: workers) { _, task, _ in
          let total = gatherRows(
            base.base, rows: rows, rowFloats: rowFloats, gathers: gathers,
            seed: seed &+ UInt64(repeatIndex * workers + task) &* 0x9E37_79B9_7F4A_7C15)
          sink.withLock { $0 += total }
        }
      }
      // (The sums go to `sink`, so the loads cannot be optimised away.)
      return Double(workers * gathers * rowFloats * 4) / wall
    }
  }

  /// A row index uniform in 0..<rows from a xorshift64* step of `state` (nonzero): the high 32
  /// bits of the output scaled by rows (multiply-shift, no division).
  @inline(__always) static func randomRow(_ state: inout UInt64, rows: Int) -> Int {
    state ^= state >> 12
    state ^= state << 25
    state ^= state >> 27
    return Int((((state &* 0x2545_F491_4F6C_DD1D) >> 32) &* UInt64(rows)) >> 32)
  }

  /// Σ of `gathers` random rows (`randomRow` indices, 8 rows per step, 8 accumulators).
  static func gatherRows(
    _ base: UnsafePointer<Float>, rows: Int, rowFloats: Int, gathers: Int, seed: UInt64
  ) -> Float {
    var state = seed | 1
    @inline(__always) func nextRow() -> UnsafePointer<Float> { base + randomRow(&state, rows: rows) * rowFloats }
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
    var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
    var g = 0
    while g < gathers {
      let r0 = nextRow(), r1 = nextRow(), r2 = nextRow(), r3 = nextRow()
      let r4 = nextRow(), r5 = nextRow(), r6 = nextRow(), r7 = nextRow()
      var x = 0
      while x < rowFloats {
        a0 += loadV(r0 + x); a1 += loadV(r1 + x); a2 += loadV(r2 + x); a3 += loadV(r3 + x)
        a4 += loadV(r4 + x); a5 += loadV(r5 + x); a6 += loadV(r6 + x); a7 += loadV(r7 + x)
        x += 8
      }
      g += 8
    }
    return horizontalSum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)))
  }

  /// The projection GEMM alone: (rows × inner)·(inner × cols), counted in the projections bucket.
  public static func gemm(
    rows m: Int, inner k: Int, cols n: Int, seed: UInt64 = 1, repeats: Int = 3, workers: Int = kernelWorkerCount
  ) -> Timing {
    let rng = GSLRandom(seed: seed)
    let a = random(m * k, rng), b = random(k * n, rng)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
    c.initialize(repeating: 0, count: m * n)  // pre-faulted, as in `denseCore`
    defer {
      a.deallocate()
      b.deallocate()
      c.deallocate()
    }
    var ledger = FlopLedger()
    var times: [Double] = []
    var cpu: [Double] = []
    for _ in 0..<max(1, repeats) {
      var counts = FlopCounts()
      let t = measure { counts = GSAModel.gemm(a, rows: m, inner: k, b, cols: n, into: c, workers: workers) }
      times.append(t.wall)
      cpu.append(t.cpu)
      ledger = FlopLedger()
      ledger.add(.projections, counts)
    }
    return Timing(ledger: ledger, seconds: times, cpuSeconds: cpu)
  }
}
