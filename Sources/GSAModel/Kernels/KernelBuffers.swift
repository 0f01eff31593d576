/// Sizes of the kernels' own buffers, for the cost model's peak-memory prediction: one definition
/// shared by the kernels that allocate them and by `CostModel.peakMemoryBytes`.
public enum KernelBuffers {
  /// Queries per sparse-core task: their scores are computed first, then their P·V.
  public static let sparseTaskQueries = 16

  /// A transparent huge page.
  static let hugePageBytes = 2 << 20
  /// `allocateAligned` puts buffers of at least this size on whole huge pages.
  static let hugePageThresholdBytes = 4 << 20

  /// Bytes `allocateAligned` reserves for `floats` floats: exact below 4 MiB, else padded to
  /// whole 2 MiB (transparent huge) pages.
  public static func alignedBytes(floats: Int) -> Int {
    let bytes = floats * MemoryLayout<Float>.stride
    return bytes < hugePageThresholdBytes ? bytes : roundUp(bytes, hugePageBytes)
  }

  /// Int32 entries of one worker's top-k scratch over n candidates: the radix histogram, n
  /// compacted indices with one 8-lane store past them, n order keys.
  public static func topKScratchInt32s(candidates n: Int) -> Int { TopK.scratchSize(candidates: n) }

  /// Floats of one sparse-core worker's scratch at length L: the score rows of a task's queries for
  /// the `groupSize` = H/H_kv heads of a kv group (⌈max k_t⌉₈ floats each) and their 1/Σp.
  public static func sparseScratchFloats(length L: Int, groupSize: Int, maxSelected: Int) -> Int {
    min(sparseTaskQueries, L) * groupSize * (sparseScoreStride(maxSelected: maxSelected) + 1)
  }

  /// Floats per head's score row in the sparse core's scratch: k padded to the 8-key blocks.
  static func sparseScoreStride(maxSelected: Int) -> Int { roundUp(max(maxSelected, 1), 8) }
}
