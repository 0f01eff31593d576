/// Memory traffic of a kernel run, in bytes, as a range for the roofline: `compulsory` reads
/// every operand once and writes every result once (the highest arithmetic intensity);
/// `noReuse` is what the kernel streams if nothing stays in cache between its tiles (the lowest).
/// The real traffic lies between: caches hold part of the re-reads.
public struct TrafficBounds: Sendable, Equatable {
  public let compulsory: Double
  public let noReuse: Double

  public init(compulsory: Double, noReuse: Double) {
    self.compulsory = compulsory
    self.noReuse = noReuse
  }
}

/// Byte models of the probed kernels (`KernelProbe`), float32 storage throughout. One source for
/// gsa-bench's tables, its JSON and the notebook's roofline figure.
///
/// Mathematical properties: every bound is a polynomial in L of degree ≤ 2 with non-negative
/// coefficients; compulsory ≤ noReuse (tested over random shapes).
public enum TrafficModel {
  static let floatBytes = 4.0

  /// Σ over the blocks of `block` consecutive queries of the causal keys each block sees (its
  /// last query's t + 1, capped at L): the keys a block-streaming kernel re-reads per block.
  public static func causalKeysPerBlock(length L: Int, block: Int) -> Double {
    // Blocks b = 0 ..< ⌈L/block⌉ see min((b + 1)·block, L) keys.
    let full = L / block  // blocks ending at (b + 1)·block ≤ L
    let fullKeys = Double(block) * Double(full) * Double(full + 1) / 2
    return fullKeys + (L % block == 0 ? 0 : Double(L))
  }

  /// Σ_t min(k, t + 1) for t < L: the keys a fixed-k sparse core selects in total.
  public static func selectedPairs(length L: Int, k: Int) -> Double {
    let early = min(L, k)  // queries t < k keep their t + 1 candidates
    return Double(max(0, L - k)) * Double(k) + Double(early) * Double(early + 1) / 2
  }

  /// Dense causal core (`KernelProbe.denseCore`, H heads over H_kv of dimension d). Compulsory:
  /// Q and O (L·H·d floats each), K and V (L·H_kv·d each). No reuse: Q and O once, and every
  /// group of `rowGroup` queries re-reads K and V of its causal keys, per head.
  public static func denseCore(
    length L: Int, heads H: Int, kvHeads Hkv: Int, headDim d: Int, rowGroup: Int
  )
    -> TrafficBounds
  {
    let queriesAndOutputs = floatBytes * 2 * Double(L * H * d)
    return TrafficBounds(
      compulsory: queriesAndOutputs + floatBytes * 2 * Double(L * Hkv * d),
      noReuse: queriesAndOutputs + floatBytes * Double(H * 2 * d) * causalKeysPerBlock(length: L, block: rowGroup))
  }

  /// Lightning indexer (`KernelProbe.indexer`, H_I heads of dimension d_I), the score kernel alone
  /// or with each query's top-k selection. Compulsory: the indexer queries (L·H_I·d_I), keys
  /// (L·d_I) and head weights (L·H_I), plus with selection the 4-byte index lists (Σ_t min(k, t + 1)).
  /// No reuse: also every block of `queryBlock` queries re-reads its causal keys and writes a
  /// score per causal pair to its buffer (read once more by the selection).
  public static func indexer(
    length L: Int, heads: Int, dim: Int, queryBlock: Int, k: Int, select: Bool
  )
    -> TrafficBounds
  {
    let inputs = floatBytes * Double(L * heads * dim + L * dim + L * heads)
    let outputs = select ? 4 * selectedPairs(length: L, k: k) : 0
    let keys = floatBytes * Double(dim) * causalKeysPerBlock(length: L, block: queryBlock)
    let scores = floatBytes * Double(L) * Double(L + 1) / 2 * (select ? 2 : 1)
    return TrafficBounds(compulsory: inputs + outputs, noReuse: inputs + keys + scores + outputs)
  }

  /// Sparse core (`KernelProbe.sparseCore`, H heads over H_kv of dimension d, k keys per query).
  /// Compulsory: Q and O, the 4-byte index lists, and K and V once (`keyValueBytes`). No reuse: Q,
  /// O and the index lists, and every selected key's K and V rows gathered per query
  /// (`gatherBytes`; ≥ K and V once, since every query selects at least one key).
  public static func sparseCore(length L: Int, heads H: Int, kvHeads Hkv: Int, headDim d: Int, k: Int) -> TrafficBounds {
    let streamed = floatBytes * 2 * Double(L * H * d) + 4 * selectedPairs(length: L, k: k)
    return TrafficBounds(
      compulsory: streamed + keyValueBytes(length: L, kvHeads: Hkv, headDim: d),
      noReuse: streamed + gatherBytes(length: L, k: k, kvHeads: Hkv, headDim: d))
  }

  /// Bytes the sparse core gathers with k keys per query (k_t = min(k, t + 1)): each selected
  /// key's K and V rows of the kv heads, read once per query (random selections share none).
  /// Σ_t k_t · H_kv · d · 4 · 2.
  public static func gatherBytes(length L: Int, k: Int, kvHeads: Int, headDim: Int) -> Double {
    selectedPairs(length: L, k: k) * Double(kvHeads * headDim) * floatBytes * 2
  }

  /// K and V of every kv head read once, L · H_kv · d · 4 · 2 bytes: the sparse core's DRAM
  /// traffic beyond its queries and outputs when its gathers hit the caches.
  public static func keyValueBytes(length L: Int, kvHeads: Int, headDim: Int) -> Double {
    Double(L) * Double(kvHeads * headDim) * floatBytes * 2
  }
}
