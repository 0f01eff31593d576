import Foundation
import GSAModel

extension MachineProfile {
  /// Sizes of the micro-benchmarks behind a measured profile. `quick` (about 12 s on 2 cores, release build) is
  /// what `--machine this` runs; `full` (about 35 s) is `roofline --save`'s default.
  public struct MeasurementSettings: Sendable, Hashable {
    /// Threads of the all-cores measurements (the per-thread ones use 1).
    public var threads: Int
    /// Repeats of every measurement; the profile keeps the best.
    public var repeats: Int
    /// Vector FMAs per thread per FMA repeat.
    public var fmaPerThread: Int
    /// Floats per triad array (3 arrays) and passes per triad repeat.
    public var triadElements: Int
    public var triadPasses: Int
    /// Footprints (bytes) of the gather curve, increasing.
    public var gatherFootprints: [Int]
    /// Floats per gathered row (a multiple of 8).
    public var gatherRowFloats: Int
    /// Bytes each thread gathers per repeat.
    public var gatherBytesPerThread: Int
    /// Candidates per row, budget k and rows of the top-k measurement.
    public var topKCandidates: Int
    public var topKBudget: Int
    public var topKRows: Int
    /// Floats of the σ/exp input buffer and passes over it per repeat.
    public var transcendentalElements: Int
    public var transcendentalPasses: Int
    /// The kernel probes' sizes (`KernelRates`): GEMM m × k by k × n; the dense core's length,
    /// heads and head dimension; the indexer's length, heads and dimension; the sparse core's head
    /// dimension, queries, k, group sizes and footprints; floats of the read-bandwidth buffer and
    /// passes over it.
    public var kernels = KernelSizes.full

    /// Sizes of the kernel-rate probes.
    public struct KernelSizes: Sendable, Hashable {
      public var gemm: (rows: Int, inner: Int, cols: Int)
      public var dense: (length: Int, heads: Int, headDim: Int)
      public var indexer: (length: Int, heads: Int, dim: Int)
      public var sparseHeadDim: Int
      public var sparseQueries: Int
      public var sparseK: Int
      public var sparseGroupSizes: [Int]
      public var sparseFootprints: [Int]
      public var readElements: Int
      public var readPasses: Int
      /// The dense decode core's group size, head dimension and cache footprints (bytes).
      public var decodeGroupSize = 4
      public var decodeHeadDim = 64
      public var decodeFootprints: [Int] = [256 << 10, 4 << 20, 16 << 20, 64 << 20, 256 << 20]
      /// The one-row GEMM's inner and output sizes (the paper shape's D × D projection).
      public var gemv: (inner: Int, cols: Int) = (512, 512)
      /// Bytes streamed before each GEMV call, so its weights come cold from DRAM.
      public var gemvFlushBytes = 128 << 20
      /// The parallel-region probe: idle time before each region, and regions per repeat (the
      /// repeat's value is their median).
      public var regionIdleMicroseconds = 20
      public var regionsPerRepeat = 101
      /// The RoPE tables' positions and head dimension.
      public var rope: (length: Int, headDim: Int) = (4096, 64)

      public static func == (a: KernelSizes, b: KernelSizes) -> Bool {
        a.gemm == b.gemm && a.dense == b.dense && a.indexer == b.indexer && a.sparseHeadDim == b.sparseHeadDim
          && a.sparseQueries == b.sparseQueries && a.sparseK == b.sparseK && a.sparseGroupSizes == b.sparseGroupSizes
          && a.sparseFootprints == b.sparseFootprints && a.readElements == b.readElements && a.readPasses == b.readPasses
          && a.decodeGroupSize == b.decodeGroupSize && a.decodeHeadDim == b.decodeHeadDim
          && a.decodeFootprints == b.decodeFootprints && a.gemv == b.gemv && a.gemvFlushBytes == b.gemvFlushBytes
          && a.regionIdleMicroseconds == b.regionIdleMicroseconds && a.regionsPerRepeat == b.regionsPerRepeat
          && a.rope == b.rope
      }
      public func hash(into h: inout Hasher) {
        h.combine(gemm.rows)
        h.combine(dense.length)
        h.combine(indexer.length)
        h.combine(sparseFootprints)
        h.combine(readElements)
        h.combine(decodeFootprints)
      }

      /// The paper-shape layer's kernels (D 512, d_h 64, H_I 2 × d_I 16, k 256, H/H_kv 1 and 4):
      /// GEMM 1536 × 512 by 512 × 512; dense core L 4096, 2 heads; indexer L 8192; sparse core
      /// 4096 queries at 256 KiB … 16 MiB (the prefill's causal prefixes up to L = 32768); reads
      /// over 256 MiB; the dense decode core (G 4, d_h 64) over caches of 256 KiB … 256 MiB.
      public static let full = KernelSizes(
        gemm: (1536, 512, 512), dense: (4096, 2, 64), indexer: (8192, 2, 16), sparseHeadDim: 64, sparseQueries: 4096,
        sparseK: 256, sparseGroupSizes: [1, 4], sparseFootprints: [256 << 10, 1 << 20, 4 << 20, 16 << 20],
        readElements: 1 << 26, readPasses: 2)
      /// Half the sizes, three footprints, one pass of reads over 256 MiB (a smaller buffer can sit in a
      /// large L3), decode caches up to 64 MiB.
      public static let quick = KernelSizes(
        gemm: (768, 512, 512), dense: (2048, 2, 64), indexer: (4096, 2, 16), sparseHeadDim: 64, sparseQueries: 2048,
        sparseK: 256, sparseGroupSizes: [1, 4], sparseFootprints: [256 << 10, 4 << 20, 16 << 20], readElements: 1 << 26,
        readPasses: 1, decodeFootprints: [256 << 10, 4 << 20, 64 << 20])
      /// Tiny sizes (tests, CI): valid numbers, not meaningful ones.
      public static let smoke = KernelSizes(
        gemm: (12, 16, 32), dense: (96, 2, 8), indexer: (96, 2, 4), sparseHeadDim: 8, sparseQueries: 16, sparseK: 8,
        sparseGroupSizes: [1, 2], sparseFootprints: [4 << 10, 8 << 10], readElements: 4096, readPasses: 1, decodeGroupSize: 2,
        decodeHeadDim: 8, decodeFootprints: [4 << 10, 8 << 10], gemv: (16, 32), gemvFlushBytes: 64 << 10,
        regionIdleMicroseconds: 0, regionsPerRepeat: 5, rope: (16, 8))
    }

    public init(
      threads: Int, repeats: Int, fmaPerThread: Int, triadElements: Int, triadPasses: Int, gatherFootprints: [Int],
      gatherRowFloats: Int, gatherBytesPerThread: Int, topKCandidates: Int, topKBudget: Int, topKRows: Int,
      transcendentalElements: Int, transcendentalPasses: Int, kernels: KernelSizes = .full
    ) {
      self.kernels = kernels
      self.threads = threads
      self.repeats = repeats
      self.fmaPerThread = fmaPerThread
      self.triadElements = triadElements
      self.triadPasses = triadPasses
      self.gatherFootprints = gatherFootprints
      self.gatherRowFloats = gatherRowFloats
      self.gatherBytesPerThread = gatherBytesPerThread
      self.topKCandidates = topKCandidates
      self.topKBudget = topKBudget
      self.topKRows = topKRows
      self.transcendentalElements = transcendentalElements
      self.transcendentalPasses = transcendentalPasses
    }

    /// 16 KiB … 256 MiB by factors of 4 (inside L1, L2 and L3, then DRAM on a machine with a
    /// 32 MiB L3); triad arrays of 2²⁵ floats (128 MiB each); 5 repeats.
    public static func full(threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> MeasurementSettings {
      MeasurementSettings(
        threads: max(1, threads), repeats: 5, fmaPerThread: 320_000_000, triadElements: 1 << 25, triadPasses: 4,
        gatherFootprints: (0..<8).map { (16 << 10) << (2 * $0) }, gatherRowFloats: 128, gatherBytesPerThread: 64 << 20,
        topKCandidates: 32768, topKBudget: 2048, topKRows: 128, transcendentalElements: 4096, transcendentalPasses: 4000)
    }

    /// The quick probes: five footprints 16 KiB, 256 KiB, 4 MiB, 16 MiB, 256 MiB, triad arrays of
    /// 2²³ floats (32 MiB each, 96 MiB in all), 3 repeats of short runs, the quick kernel sizes.
    public static func quick(threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> MeasurementSettings {
      MeasurementSettings(
        threads: max(1, threads), repeats: 3, fmaPerThread: 40_000_000, triadElements: 1 << 23, triadPasses: 2,
        gatherFootprints: [16 << 10, 256 << 10, 4 << 20, 16 << 20, 256 << 20], gatherRowFloats: 128,
        gatherBytesPerThread: 16 << 20, topKCandidates: 32768, topKBudget: 2048, topKRows: 16, transcendentalElements: 4096,
        transcendentalPasses: 500, kernels: .quick)
    }

    /// Tiny sizes for tests and CI smoke runs (well under a second even in a debug build): two
    /// footprints, short runs, 1 repeat. The rates are valid numbers but not meaningful ones.
    public static func smoke(threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> MeasurementSettings {
      MeasurementSettings(
        threads: max(1, threads), repeats: 1, fmaPerThread: 1200, triadElements: 4096, triadPasses: 1,
        gatherFootprints: [16 << 10, 64 << 10], gatherRowFloats: 128, gatherBytesPerThread: 64 << 10, topKCandidates: 512,
        topKBudget: 16, topKRows: 2, transcendentalElements: 256, transcendentalPasses: 2, kernels: .smoke)
    }

    /// The largest buffer the measurement allocates, in bytes (for a memory check before it starts).
    public var peakBytes: Int {
      let triad = 12 * max(triadElements, threads * 64)
      let gather = (gatherFootprints.max() ?? 0) + 4 * gatherRowFloats
      let topK = 4 * topKRows * topKCandidates + threads * 4 * (2 * topKCandidates + 2048 + 8 + topKBudget)
      let k = kernels
      let sparseKeys = (k.sparseFootprints.max() ?? 0) / (8 * k.sparseHeadDim)
      let sparse = 4 * sparseKeys * k.sparseHeadDim * (2 * (k.sparseGroupSizes.max() ?? 1) + 4)
      return max(triad, gather, topK, 4 * k.readElements, sparse, k.decodeFootprints.max() ?? 0, k.gemvFlushBytes)
    }

    /// Measurement steps, for progress reporting.
    public var stepCount: Int { 13 + gatherFootprints.count + kernels.sparseFootprints.count + kernels.decodeFootprints.count }
  }

  /// Measures this machine: every rate on one thread, then on `settings.threads` threads at once,
  /// each the best of `settings.repeats`. `progress(done, total, label)` is called before each step.
  /// Throws (naming the field) if a probe produced no positive finite rate.
  public static func measure(
    _ settings: MeasurementSettings, machine: Machine, date: Date = Date(), seed: UInt64 = 1,
    progress: (Int, Int, String) -> Void = { _, _, _ in }
  ) throws(ProfileError) -> MachineProfile {
    try measureBestAndMedian(settings, machine: machine, date: date, seed: seed, progress: progress).best
  }

  /// One measurement's two profiles from the same repeats: `best` (each rate the best repeat, what
  /// `roofline --save` writes: the machine when nothing else runs) and `median` (each rate the
  /// median repeat: the machine as the repeats found it; on a shared host, the rate to set against
  /// other medians measured in the same run).
  public static func measureBestAndMedian(
    _ settings: MeasurementSettings, machine: Machine, date: Date = Date(), seed: UInt64 = 1,
    progress: (Int, Int, String) -> Void = { _, _, _ in }
  ) throws(ProfileError) -> (best: MachineProfile, median: MachineProfile) {
    let threads = max(1, settings.threads), repeats = max(1, settings.repeats)
    let total = settings.stepCount
    var step = 0
    func next(_ label: String) {
      progress(step, total, label)
      step += 1
    }
    func both(_ probe: (Int) -> [Double], lowerIsBetter: Bool = false) -> Sampled {
      Sampled(perThread: probe(1), allCores: probe(threads), lowerIsBetter: lowerIsBetter)
    }
    next("FMA peak")
    let fma = both { t in (0..<repeats).map { _ in Roofline.peakFlops(threads: t, fmaPerThread: settings.fmaPerThread) } }
    next("STREAM triad")
    let triad = both { t in
      Roofline.streamTriad(threads: t, elements: settings.triadElements, passes: settings.triadPasses, repeats: repeats)
    }
    let rowBytes = settings.gatherRowFloats * 4
    let gathers = max(8, settings.gatherBytesPerThread / rowBytes)
    var curve = [(footprint: Int, rate: Sampled)]()
    for footprint in settings.gatherFootprints {
      next("gathers at \(footprint) bytes")
      let rate = both { t in
        KernelProbe.gatherRate(
          footprintBytes: footprint, rowFloats: settings.gatherRowFloats, gathersPerThread: gathers, threads: t, repeats: repeats,
          seed: seed &+ UInt64(footprint))
      }
      curve.append((max(1, footprint / rowBytes) * rowBytes, rate))
    }
    next("top-k")
    let topK = both(
      { t in
        KernelProbe.topKSecondsPerCandidate(
          candidates: settings.topKCandidates, k: settings.topKBudget, rows: settings.topKRows, threads: t, repeats: repeats,
          seed: seed)
      }, lowerIsBetter: true)
    next("sigmoid")
    let sigmoid = both { t in
      KernelProbe.transcendentalRate(
        .sigmoid, elements: settings.transcendentalElements, passes: settings.transcendentalPasses, threads: t, repeats: repeats,
        seed: seed)
    }
    next("exp")
    let exp = both { t in
      KernelProbe.transcendentalRate(
        .exp, elements: settings.transcendentalElements, passes: settings.transcendentalPasses, threads: t, repeats: repeats,
        seed: seed)
    }
    let k = settings.kernels
    next("GEMM")
    let gemm = both { t in
      KernelProbe.gemmRate(rows: k.gemm.rows, inner: k.gemm.inner, cols: k.gemm.cols, workers: t, repeats: repeats, seed: seed)
    }
    next("dense flash tile")
    let dense = both { t in
      KernelProbe.denseTileRate(
        length: k.dense.length, heads: k.dense.heads, headDim: k.dense.headDim, workers: t, repeats: repeats, seed: seed)
    }
    next("indexer score tile")
    var indexerConfig = LayerConfig.paperShape.configured(for: .gsa)
    indexerConfig.indexerHeads = k.indexer.heads
    indexerConfig.indexerDim = k.indexer.dim
    let indexer = both { t in
      KernelProbe.indexerTileRate(length: k.indexer.length, config: indexerConfig, workers: t, repeats: repeats, seed: seed)
    }
    var sparseCurve = [(footprint: Int, costs: [Sampled])]()
    for footprint in k.sparseFootprints {
      next("sparse core rows at \(footprint) bytes")
      let costs = k.sparseGroupSizes.map { g in
        let runs = KernelProbe.sparseRowSeconds(
          footprintBytes: footprint, groupSize: g, headDim: k.sparseHeadDim, queries: k.sparseQueries, k: k.sparseK,
          workerCounts: [1, threads], repeats: repeats, seed: seed &+ UInt64(footprint))
        return Sampled(perThread: runs[0], allCores: runs[1], lowerIsBetter: true)
      }
      sparseCurve.append((footprint, costs))
    }
    next("read bandwidth")
    let read = both { t in
      KernelProbe.readBandwidth(elements: k.readElements, passes: k.readPasses, threads: t, repeats: repeats)
    }
    next("GEMV")
    let gemv = both { t in
      KernelProbe.coldGemvRate(
        inner: k.gemv.inner, cols: k.gemv.cols, workers: t, repeats: max(repeats, 20), flushBytes: k.gemvFlushBytes, seed: seed)
    }
    next("RoPE tables")
    let rope = both { t in
      KernelProbe.ropeTableRate(length: k.rope.length, headDim: k.rope.headDim, workers: t, repeats: repeats)
    }
    next("parallel region")
    let region = Sampled(
      perThread: [],
      allCores: (0..<repeats).map { _ in
        GSATheory.median(
          KernelProbe.dispatchSeconds(
            workers: threads, idleMicroseconds: k.regionIdleMicroseconds, repeats: max(1, k.regionsPerRepeat)))
      }, lowerIsBetter: true)
    var decodeCurve = [(footprint: Int, cost: Sampled)]()
    for footprint in k.decodeFootprints {
      next("dense decode rows at \(footprint) bytes")
      let rowBytes = 2 * 4 * k.decodeHeadDim
      // Each repeat streams at least 16 MiB of rows (several passes over a small cache).
      let passes = max(1, (16 << 20) / max(1, footprint))
      let cost = Sampled(
        perThread: KernelProbe.denseDecodeRowSeconds(
          rows: max(1, footprint / rowBytes), groupSize: k.decodeGroupSize, headDim: k.decodeHeadDim, workers: 1, passes: passes,
          repeats: repeats, seed: seed &+ UInt64(footprint)),
        allCores: KernelProbe.denseDecodeRowSeconds(
          rows: max(1, footprint / (rowBytes * threads)), groupSize: k.decodeGroupSize, headDim: k.decodeHeadDim, workers: threads,
          passes: passes, repeats: repeats, seed: seed &+ UInt64(footprint)
        ).map { $0 / Double(threads) }, lowerIsBetter: true)
      decodeCurve.append((footprint, cost))
    }
    progress(total, total, "done")
    func rates(_ pick: (Sampled) -> ThreadedRate) -> MeasuredRates {
      let kernels = KernelRates(
        gemmRows: k.gemm.rows, gemmInner: k.gemm.inner, gemmCols: k.gemm.cols, gemmFlopsPerSecond: pick(gemm),
        denseLength: k.dense.length, denseHeads: k.dense.heads, denseHeadDim: k.dense.headDim, denseFlopsPerSecond: pick(dense),
        indexerLength: k.indexer.length, indexerHeads: k.indexer.heads, indexerDim: k.indexer.dim,
        indexerFlopsPerSecond: pick(indexer), sparseHeadDim: k.sparseHeadDim, sparseQueries: k.sparseQueries, sparseK: k.sparseK,
        sparseGroupSizes: k.sparseGroupSizes,
        sparseRowCurve: sparseCurve.map { SparseRowPoint(footprintBytes: $0.footprint, secondsPerRow: $0.costs.map(pick)) },
        readBytesPerSecond: pick(read), decodeGroupSize: k.decodeGroupSize, decodeHeadDim: k.decodeHeadDim,
        decodeRowCurve: decodeCurve.map { DecodeRowPoint(footprintBytes: $0.footprint, secondsPerRow: pick($0.cost)) },
        gemvInner: k.gemv.inner, gemvCols: k.gemv.cols, gemvWeightBytesPerSecond: pick(gemv),
        parallelRegionIdleMicroseconds: k.regionIdleMicroseconds, parallelRegionSeconds: pick(region).allCores,
        ropeLength: k.rope.length, ropeHeadDim: k.rope.headDim, ropeTranscendentalsPerSecond: pick(rope))
      return MeasuredRates(
        threads: threads, fmaFlopsPerSecond: pick(fma), triadBytesPerSecond: pick(triad), gatherRowBytes: rowBytes,
        gatherCurve: curve.map { GatherPoint(footprintBytes: $0.footprint, bytesPerSecond: pick($0.rate)) },
        topKCandidates: settings.topKCandidates, topKBudget: settings.topKBudget, topKSecondsPerCandidate: pick(topK),
        sigmoidsPerSecond: pick(sigmoid), expsPerSecond: pick(exp), kernels: kernels)
    }
    let method: [String: String] = [
      "repeats": "each rate is the best of \(repeats) repeats, on 1 thread (per_thread) and on \(threads) threads at once (all_cores)",
      "fma_peak_flops_per_second":
        "\(Roofline.chains) independent chains of 8-wide float32 FMA per thread, \(settings.fmaPerThread) vector FMAs per thread, 16 FLOPs each",
      "triad_bytes_per_second":
        "STREAM triad a = b + s*c, \(settings.triadElements) floats per array, \(settings.triadPasses) passes, 12 bytes per element",
      "gather":
        "random rows of \(rowBytes) bytes (uniform, xorshift64*, 8 in flight per thread) from one shared buffer per footprint, huge-page advised from 4 MiB, \(gathers) rows per thread per repeat; bytes/s of all threads",
      "top_k":
        "TopK.select with k = \(settings.topKBudget) on \(settings.topKRows) rows of \(settings.topKCandidates) seeded Gaussian scores per thread; wall seconds / candidates of all threads",
      "sigmoid_per_second":
        "sigmoidV (the gates' 1/(1 + e^-x)) over \(settings.transcendentalElements) floats in [-8, 8], \(settings.transcendentalPasses) passes per thread",
      "exp_per_second":
        "expV (the sparse softmax's e^x) over \(settings.transcendentalElements) floats in [-8, 8], \(settings.transcendentalPasses) passes per thread",
      "gemm": "GSAModel's gemm (6x16 micro-kernel, 48x256 tasks, K blocks of 256) on seeded Gaussian operands; 2mkn FLOPs / wall seconds",
      "dense_tile":
        "denseAttention alone (causal, 12-row groups x 64-key tiles, one kv head) on seeded operands; executed FLOPs (the ledger's) / wall seconds",
      "indexer_tile":
        "the indexer score kernel alone (6x16 micro-tiles, causal query blocks of 12, paper-shape activation) on seeded operands; executed pair FLOPs / wall seconds",
      "sparse_row":
        "sparseAttention alone: one kv group, the first `queries` queries each on k uniform random keys of footprint/(8 d) keys; wall seconds / (queries k), per group size",
      "read_bytes_per_second":
        "each thread sums its share of one \(4 * k.readElements)-byte buffer, \(k.readPasses) passes; bytes / wall seconds",
      "gemv":
        "GSAModel's gemm with one row (1 x \(k.gemv.inner) by \(k.gemv.inner) x \(k.gemv.cols)) on seeded operands, the weights cold (\(k.gemvFlushBytes) bytes streamed before each call), \(max(repeats, 20)) calls (reduced as `repeats` says); 4kn weight bytes / wall seconds",
      "rope_table":
        "AttentionLayer.ropeTables for \(k.rope.length) positions at d_h \(k.rope.headDim) (float64 libm cos and sin per angle, rows in tasks of \(AttentionLayer.ropeRowsPerTask) on the threads); d/2 + 2 L d/2 transcendentals / wall seconds",
      "parallel_region":
        "parallelTasks with one empty task per thread on \(threads) threads, each after \(k.regionIdleMicroseconds) µs of idle (usleep), \(k.regionsPerRepeat) regions per repeat: the repeat's median wall seconds",
      "decode_row":
        "denseDecodePart alone (G \(k.decodeGroupSize), d_h \(k.decodeHeadDim)): each thread streams its own K and V blocks (its share of the footprint), passes to 16 MiB per repeat; wall seconds / rows (all_cores: rows of all threads)",
    ]
    var medianMethod = method
    medianMethod["repeats"] =
      "each rate is the median of \(repeats) repeats, on 1 thread (per_thread) and on \(threads) threads at once (all_cores)"
    let best = MachineProfile(machine: machine, date: timestamp(date), rates: .measured(rates(\.best)), method: method)
    let median = MachineProfile(machine: machine, date: timestamp(date), rates: .measured(rates(\.median)), method: medianMethod)
    for profile in [best, median] {
      do {
        try profile.validate()
      } catch {
        throw ProfileError(field: error.field, "the measurement failed: \(error.message)")
      }
    }
    return (best, median)
  }

  /// A probe's repeats on one thread and on all cores, reduced to the best or the median repeat.
  struct Sampled {
    let perThread: [Double]
    let allCores: [Double]
    /// Times (seconds per item) are better when lower, rates when higher.
    let lowerIsBetter: Bool

    var best: ThreadedRate {
      func pick(_ x: [Double]) -> Double { (lowerIsBetter ? x.min() : x.max()) ?? .nan }
      return ThreadedRate(perThread: pick(perThread), allCores: pick(allCores))
    }
    var median: ThreadedRate {
      ThreadedRate(perThread: GSATheory.median(perThread), allCores: GSATheory.median(allCores))
    }
  }
}
