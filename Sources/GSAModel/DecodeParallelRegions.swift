/// How a decode step's indexer scores over n candidates split into tasks per sequence: ⌈n/16⌉
/// 16-key chunks, about two tasks per worker of at least 64 chunks (1024 keys) each.
func decodeScoreSplit(candidates n: Int, workers: Int = kernelWorkerCount) -> (chunks: Int, chunksPerTask: Int, ranges: Int) {
  let chunks = (n + 15) / 16
  let perTask = max(64, (chunks + 2 * workers - 1) / (2 * workers))
  return (chunks, perTask, (chunks + perTask - 1) / perTask)
}

extension AttentionLayer {
  /// The parallel regions one decode step opens per bucket (`DecodeResult.parallelRegions` counts
  /// them as the step runs), on `workers` threads. A region is one `parallelTasks` call with two or
  /// more tasks on two or more workers (`opensParallelRegion`): waking the pool and joining it
  /// costs microseconds whatever the work (`KernelProbe.dispatchSeconds`), which a batch-1 step
  /// pays about ten times.
  ///
  /// Per step, with n = L + 1 candidates and W workers (a GEMM x·W opens one when `gemmSchedule`
  /// gives it two or more tasks on two or more workers):
  /// - projections: the GEMMs of W_q, W_k, W_v and W_o;
  /// - gates: the GEMMs of W_gate_v and W_gate_o (gated variants, when the config uses the gate);
  /// - indexer (sparse variants): the GEMMs of W_iq, W_ik and W_iw, and the scores: B·⌈⌈n/16⌉/c⌉
  ///   tasks, c chunks each (`decodeScoreSplit`);
  /// - selection (sparse variants): the candidate pass when the step splits
  ///   (`DecodeSelectionSplit.candidateTasks` tasks), then one task per sequence (B tasks on
  ///   min(W, B) workers);
  /// - attention: the core, B·H_kv·parts tasks (parts = `DenseDecode.parts` for dense variants, 1
  ///   for sparse ones) on W workers.
  ///
  /// Mathematical properties: zero in every bucket when W = 1; at most the counts above, each
  /// region at most once per pass; independent of the cache's contents.
  public static func decodeParallelRegions(
    config c: LayerConfig, variant: Variant, batch B: Int, length L: Int, workers W: Int = kernelWorkerCount,
    selectionSplit: DecodeSelectionSplit = .standard
  ) -> PerBucket<Int> {
    let n = L + 1, D = c.modelDim, q = c.heads * c.headDim, kv = c.kvHeads * c.headDim
    func gemm(_ inner: Int, _ cols: Int) -> Int {
      let s = gemmSchedule(rows: B, inner: inner, cols: cols, workers: W)
      return opensParallelRegion(tasks: s.tasks, workers: s.workers) ? 1 : 0
    }
    func region(_ tasks: Int, workers: Int = W) -> Int { opensParallelRegion(tasks: tasks, workers: workers) ? 1 : 0 }
    var regions = PerBucket<Int>()
    regions[.projections] = gemm(D, q) + gemm(D, kv) + gemm(D, kv) + gemm(q, D)
    if variant.isGated {
      regions[.gates] = (c.valueGate ? gemm(D, kv) : 0) + (c.outputGate ? gemm(D, q) : 0)
    }
    if variant.isSparse {
      let HI = c.indexerHeads, dI = c.indexerDim
      let scores = decodeScoreSplit(candidates: n, workers: W)
      regions[.indexer] = gemm(D, HI * dI) + gemm(D, dI) + gemm(D, HI) + region(B * scores.ranges)
      let adaptive = c.kRule != .fixed
      regions[.selection] =
        (selectionSplit.splits(candidates: n)
          ? region(selectionSplit.candidateTasks(candidates: n, batch: B, adaptive: adaptive)) : 0)
        + region(B, workers: min(W, B))
    }
    regions[.attention] = region(B * c.kvHeads * (variant.isSparse ? 1 : DenseDecode.parts(rows: n)))
    return regions
  }
}
