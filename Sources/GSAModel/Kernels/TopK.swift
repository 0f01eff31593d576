import CKernelSupport

/// Top-k selection by radix select on order-preserving 32-bit keys, with a data-independent
/// operation count (so the cost model can predict it exactly).
///
/// Order: the k largest values under the total order "larger value first, then lower index
/// first" (ties broken by the lower index; −0 ranks below +0, IEEE total order on the bits).
/// Method:
/// - Pass 0 finds a cutoff with at least k keys at or above it, and the largest key. The row's
///   first keys form G = 16⌈k/8⌉ ≥ 2k disjoint groups (8 lanes of 2⌈k/8⌉ contiguous chunks); the
///   cutoff is the lower edge of the bucket holding the k-th largest group maximum in a
///   2048-bucket histogram of the G maxima. On rows of independent scores about
///   G·ln(G/(G − k)) ≈ 1.4k keys lie above it, against all n for the smallest key, which rows
///   shorter than G use instead.
/// - Radix digits are taken from the offset key − cutoff, whose R = bit width of (max − cutoff)
///   significant bits are split 11 / 11 / rest (digits of the raw key would put a row's narrow
///   band of scores into one bucket).
/// - Three histogram passes over all n candidates, each counting only the keys in the range the
///   digits found so far allow, each followed by a scan of its histogram (2048, 2048, 1024
///   buckets) locating the bucket holding the k-th key; then one gather pass writing the
///   selected indices in ascending order. These passes test 8 keys per step (one unsigned range
///   compare; the gather also tests for equality with the k-th key) and touch memory only for
///   matching lanes: about 1.4k keys in pass 1, few in passes 2 and 3, k in the gather. Where
///   matches are dense (pass 1, the gather when 16k ≥ n) a branch per 8 keys would mispredict,
///   so the matching indices are compacted branch-free instead (`compress`: the 8-lane mask by
///   `vmovmskps`, its lanes from a 2 KiB table); the tests are the same.
///
/// Counted comparisons: 0 when k ≥ n (all candidates taken); else, with G = 16⌈k/8⌉,
/// 6n + 3G + 7168 when n ≥ G (pass 0: a max per key, a min and a max per group maximum, a count
/// per group maximum and the 2048-bucket scan; three range tests per key, two tests per key in
/// the gather; scans 5120), and 7n + 5120 when n < G (pass 0: the min and max of every key).
///
/// A decode step may split one row over ranges (`DecodeSelectionSplit`): a select per range of s
/// candidates, then one over the m ranges' winners, ⌊n/s⌋·r(s, k) + r(n mod s, k) + r(m, k)
/// comparisons (r = `comparisons(candidates:k:)`), with the same result as one select over n.
enum TopK {
  /// Int32 entries of the histogram: 2048 buckets.
  static let histogramSize = 2048
  static let scanCost = 2048 + 2048 + 1024

  /// Int32 entries of the scratch `select` needs for up to n candidates: the histogram, room for
  /// n compacted indices and one 8-lane store past them, then the n order keys pass 0 writes
  /// (read by the later passes instead of transforming every value again).
  static func scratchSize(candidates n: Int) -> Int { histogramSize + 2 * n + 8 }

  /// compressTable[mask] lists the lanes of mask's set bits (lowest first), one byte each, in 8
  /// bytes (the bytes past them are 0): 2 KiB, one zero-extending load per 8 keys.
  static let compressTable: [SIMD8<UInt8>] = (0..<256).map { mask in
    var lanes = SIMD8<UInt8>(repeating: 0), field = 0
    for lane in 0..<8 where mask & (1 << lane) != 0 {
      lanes[field] = UInt8(lane)
      field += 1
    }
    return lanes
  }

  /// Writes base + l for every lane l set in `bits` (lowest first) to `destination`, always
  /// storing 8 Int32 (the ones past the set lanes are scratch); returns the number of set lanes.
  @inline(__always) static func compress(
    _ bits: UInt32, base: Int, table: UnsafePointer<SIMD8<UInt8>>, into destination: UnsafeMutablePointer<Int32>
  ) -> Int {
    let indices = SIMD8<Int32>(truncatingIfNeeded: table[Int(bits)]) &+ Int32(truncatingIfNeeded: base)
    UnsafeMutableRawPointer(destination).storeBytes(of: indices, as: SIMD8<Int32>.self)
    return bits.nonzeroBitCount
  }

  /// Comparisons `select` counts for n candidates and budget k: 0 when k ≥ n, else
  /// 6n + 48⌈k/8⌉ + 7168 when n ≥ 16⌈k/8⌉ (the cutoff from 16⌈k/8⌉ group maxima), 7n + 5120
  /// otherwise.
  @inline(__always) static func comparisons(candidates n: Int, k: Int) -> Int {
    if k >= n { return 0 }
    let maxima = 16 * ((k + 7) / 8)
    let passZero = n >= maxima ? n + 3 * maxima + 2048 : 2 * n
    return passZero + 5 * n + scanCost
  }

  @inline(__always) static func key(_ x: Float) -> UInt32 {
    let bits = x.bitPattern
    return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
  }

  /// `key` of 8 consecutive values: bits ^ (sign-extended sign | 0x8000_0000).
  @inline(__always) static func keys(_ p: UnsafePointer<Float>) -> SIMD8<UInt32> {
    let bits = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt32>.self)
    let sign = unsafeBitCast(unsafeBitCast(bits, to: SIMD8<Int32>.self) &>> 31, to: SIMD8<UInt32>.self)
    return bits ^ (sign | SIMD8<UInt32>(repeating: 0x8000_0000))
  }

  /// histogram[bucket[lane]] += hit[lane] ? 1 : 0 for the 8 lanes.
  @inline(__always) static func countHits(
    _ histogram: UnsafeMutablePointer<Int32>, _ bucket: SIMD8<UInt32>, _ hit: SIMDMask<SIMD8<Int32>>
  ) {
    let add = SIMD8<Int32>(repeating: 0).replacing(with: 1, where: hit)
    for lane in 0..<8 { histogram[Int(bucket[lane])] &+= add[lane] }
  }

  /// The mask as an 8-bit integer (bit l = lane l): the lanes' sign bits (`gsa_sign_bits`, one
  /// `vmovmskps`; a weighted lane sum in Swift compiled to ~25 scalar bit tests).
  @inline(__always) static func laneBits(_ mask: SIMDMask<SIMD8<Int32>>) -> UInt32 {
    gsa_sign_bits(SIMD8<Int32>(repeating: 0).replacing(with: -1, where: mask))
  }

  /// 8 order keys stored at key index i of `store` (UInt32; raw loads, the scratch is Int32).
  @inline(__always) static func storedKeys(_ store: UnsafeRawPointer, _ i: Int) -> SIMD8<UInt32> {
    store.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<UInt32>.self)
  }

  /// The order key stored at key index i of `store`.
  @inline(__always) static func storedKey(_ store: UnsafeRawPointer, _ i: Int) -> UInt32 {
    store.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
  }

  /// Writes the indices of the top `k` of `values[0..<n]` in ascending order to `out`, returns
  /// the number written (min(k, n)) and adds the counted comparisons to `comparisons`.
  /// `scratch` must hold `scratchSize(candidates: n)` Int32.
  @discardableResult
  static func select(
    _ values: UnsafePointer<Float>, count n: Int, k: Int, scratch: UnsafeMutablePointer<Int32>,
    into out: UnsafeMutablePointer<Int32>, comparisons: inout Int
  ) -> Int {
    let histogram = scratch, compacted = scratch + histogramSize
    // The order keys of the n values, written by pass 0 (raw stores and loads: the scratch is Int32).
    let keyStore = UnsafeMutableRawPointer(scratch + histogramSize + n + 8)
    if k >= n {
      for i in 0..<n { out[i] = Int32(i) }
      return n
    }
    if k <= 0 { return 0 }
    // Pass 0: a cutoff with at least k keys at or above it, and the largest key. The first
    // 8·C·m keys (C = 2⌈k/8⌉ chunks of m = 8⌊n/8C⌋ keys) form G = 8C ≥ 2k disjoint groups
    // (chunk c, lane l: the keys at c·m + l + 8j). The cutoff is the lower edge of the bucket
    // holding the k-th largest group maximum in a 2048-bucket histogram of the maxima: at least
    // k maxima, distinct keys, lie at or above it. (On rows of independent scores about
    // G·ln(G/(G − k)) ≈ 1.4k keys pass it.) Rows with n < G take their smallest key.
    let chunks = 2 * ((k + 7) / 8)
    let chunkLength = n / (8 * chunks) * 8
    var cut: UInt32 = .max, high: UInt32 = 0
    var i = 0
    if chunkLength > 0 {
      (cut, high) = withUnsafeTemporaryAllocation(of: SIMD8<UInt32>.self, capacity: chunks) { maxima in
        var lowV = SIMD8<UInt32>(repeating: .max), highV = SIMD8<UInt32>(repeating: 0)
        for c in 0..<chunks {
          var groupHigh = SIMD8<UInt32>(repeating: 0)
          var j = c * chunkLength
          while j < (c + 1) * chunkLength {
            let kv = keys(values + j)
            keyStore.storeBytes(of: kv, toByteOffset: 4 * j, as: SIMD8<UInt32>.self)
            groupHigh = pointwiseMax(groupHigh, kv)
            j += 8
          }
          maxima[c] = groupHigh
          lowV = pointwiseMin(lowV, groupHigh)
          highV = pointwiseMax(highV, groupHigh)
        }
        let low = lowV.min(), top = highV.max()
        let shift = UInt32(Swift.max(0, UInt32.bitWidth - (top &- low).leadingZeroBitCount - 11))
        histogram.initialize(repeating: 0, count: histogramSize)
        let lowVector = SIMD8<UInt32>(repeating: low)
        for c in 0..<chunks {
          let bucket = (maxima[c] &- lowVector) &>> shift
          for lane in 0..<8 { histogram[Int(bucket[lane])] &+= 1 }
        }
        var remaining = Int32(k)
        let bucket = scan(histogram, buckets: 2048, remaining: &remaining)
        return (low &+ (UInt32(bucket) << shift), top)
      }
      i = chunks * chunkLength
    }
    var cutV = SIMD8<UInt32>(repeating: cut), highV = SIMD8<UInt32>(repeating: high)
    while i + 8 <= n {
      let kv = keys(values + i)
      keyStore.storeBytes(of: kv, toByteOffset: 4 * i, as: SIMD8<UInt32>.self)
      if chunkLength == 0 { cutV = pointwiseMin(cutV, kv) }
      highV = pointwiseMax(highV, kv)
      i += 8
    }
    cut = cutV.min()
    high = highV.max()
    while i < n {
      let kv = key(values[i])
      keyStore.storeBytes(of: kv, toByteOffset: 4 * i, as: UInt32.self)
      if chunkLength == 0 { cut = Swift.min(cut, kv) }
      high = Swift.max(high, kv)
      i += 1
    }
    // Only keys ≥ cut take part from here on, as offset keys o = key − cut; digits of o: R = bit
    // width of high − cut significant bits, split bits R−1 … s1, s1−1 … s2, s2−1 … 0. Each pass
    // tests every key for one range [low, low + width] of keys (one unsigned compare of
    // key − low with width) and histograms the matching ones' next digit.
    let bits = UInt32.bitWidth - (high &- cut).leadingZeroBitCount
    let s1 = UInt32(Swift.max(bits - 11, 0)), s2 = UInt32(Swift.max(bits - 22, 0))
    var remaining = Int32(k)
    // Passes 1–3 and the gather test 8 keys at a time (on rows of independent scores ≈ 1.4k keys
    // match in pass 1, few after it); pass 1 and the dense gather compact the matches branch-free,
    // passes 2 and 3 and the sparse gather touch memory only for blocks with a match.
    // Pass 1: the top digit (< 2^11 buckets) of the keys in [cut, high]. The matching indices
    // are compacted branch-free (on short rows a fair share of the 8-key blocks hold a key at or
    // above the cutoff, and a branch per block would mispredict), then their digits counted.
    let survivors = compressTable.withUnsafeBufferPointer { table in
      let cutVector = SIMD8<UInt32>(repeating: cut), widthVector = SIMD8<UInt32>(repeating: high &- cut)
      var m = 0
      i = 0
      while i + 8 <= n {
        let bits = laneBits(atMost(storedKeys(keyStore, i) &- cutVector, widthVector))
        m += compress(bits, base: i, table: table.baseAddress!, into: compacted + m)
        i += 8
      }
      while i < n {
        if storedKey(keyStore, i) >= cut {
          compacted[m] = Int32(i)
          m += 1
        }
        i += 1
      }
      return m
    }
    histogram.initialize(repeating: 0, count: histogramSize)
    for j in 0..<survivors { histogram[Int((storedKey(keyStore, Int(compacted[j])) &- cut) >> s1)] += 1 }
    var bucket = scan(histogram, buckets: 2048, remaining: &remaining)
    var prefix = UInt32(bucket)
    // Pass 2: the middle digit among those with the top digit found.
    countInRange(
      keyStore, count: n, low: cut &+ (prefix << s1), width: (1 << s1) &- 1, into: histogram, bucketShift: s2,
      bucketMask: (1 << (s1 - s2)) - 1)
    bucket = scan(histogram, buckets: 2048, remaining: &remaining)
    prefix = (prefix << (s1 - s2)) | UInt32(bucket)
    // Pass 3: the low digit (≤ 10 bits) among those with the top two digits found.
    countInRange(
      keyStore, count: n, low: cut &+ (prefix << s2), width: (1 << s2) &- 1, into: histogram, bucketShift: 0,
      bucketMask: (1 << s2) - 1)
    bucket = scan(histogram, buckets: 1024, remaining: &remaining)
    // The k-th largest key.
    let threshold = cut &+ ((prefix << s2) | UInt32(bucket))
    // The gather: the indices of the keys above the threshold, and of the first `remaining` keys
    // equal to it (lowest indices first), in ascending order. Rows with many selected keys per
    // 8-key block compact them branch-free into the scratch; the others visit only the blocks
    // holding one. Both test each key against the threshold range and for equality.
    var equalLeft = Int(remaining)
    let thresholdV = SIMD8<UInt32>(repeating: threshold), widthV = SIMD8<UInt32>(repeating: high &- threshold)
    // The lanes of an 8-key block to take: those at or above the threshold, less the tied lanes
    // beyond the lowest `equalLeft` (usually one tied key per row).
    @inline(__always) func taken(_ atOrAbove: UInt32, tied: UInt32) -> UInt32 {
      var dropped = tied
      while dropped != 0 && equalLeft > 0 {
        dropped &= dropped &- 1
        equalLeft -= 1
      }
      return atOrAbove & ~dropped
    }
    var written = 0
    if 16 * k >= n {
      written = compressTable.withUnsafeBufferPointer { table in
        var written = 0
        i = 0
        while i + 8 <= n {
          let key = storedKeys(keyStore, i)
          let bits = taken(laneBits(atMost(key &- thresholdV, widthV)), tied: laneBits(key .== thresholdV))
          written += compress(bits, base: i, table: table.baseAddress!, into: compacted + written)
          i += 8
        }
        return written
      }
      out.update(from: compacted, count: written)
    } else {
      i = 0
      while i + 8 <= n {
        let key = storedKeys(keyStore, i)
        let hit = laneBits(atMost(key &- thresholdV, widthV))
        guard hit != 0 else {
          i += 8
          continue
        }
        var bits = taken(hit, tied: laneBits(key .== thresholdV))
        while bits != 0 {
          out[written] = Int32(i + bits.trailingZeroBitCount)
          written += 1
          bits &= bits &- 1
        }
        i += 8
      }
    }
    while i < n {
      let kv = storedKey(keyStore, i)
      if kv > threshold || (kv == threshold && equalLeft > 0) {
        if kv == threshold { equalLeft -= 1 }
        out[written] = Int32(i)
        written += 1
      }
      i += 1
    }
    comparisons += TopK.comparisons(candidates: n, k: k)
    return written
  }

  /// x ≤ w lane by lane, unsigned (AVX2 has no unsigned compare: min(x, w) = x).
  @inline(__always) static func atMost(_ x: SIMD8<UInt32>, _ w: SIMD8<UInt32>) -> SIMDMask<SIMD8<Int32>> {
    pointwiseMin(x, w) .== x
  }

  /// One histogram pass (passes 2 and 3): clears `histogram`, then counts bucket
  /// ((key − low) >> bucketShift) & bucketMask of every key in [low, low + width] (one test per
  /// key; `keys`: n order keys, UInt32). 8 keys per step; a block with any match adds its 0/1 hit
  /// flags branch-free.
  @inline(__always)
  private static func countInRange(
    _ keys: UnsafeRawPointer, count n: Int, low: UInt32, width: UInt32, into histogram: UnsafeMutablePointer<Int32>,
    bucketShift: UInt32, bucketMask: UInt32
  ) {
    histogram.initialize(repeating: 0, count: histogramSize)
    let lowV = SIMD8<UInt32>(repeating: low), widthV = SIMD8<UInt32>(repeating: width)
    var i = 0
    while i + 8 <= n {
      let offset = storedKeys(keys, i) &- lowV
      let hit = atMost(offset, widthV)
      if laneBits(hit) != 0 { countHits(histogram, (offset &>> bucketShift) & bucketMask, hit) }
      i += 8
    }
    while i < n {
      let offset = storedKey(keys, i) &- low
      if offset <= width { histogram[Int((offset >> bucketShift) & bucketMask)] += 1 }
      i += 1
    }
  }

  /// Scans all buckets from the top; returns the bucket holding the `remaining`-th largest key
  /// and reduces `remaining` by the count of keys in higher buckets.
  @inline(__always)
  private static func scan(_ histogram: UnsafeMutablePointer<Int32>, buckets: Int, remaining: inout Int32) -> Int {
    // From the top, 8 buckets per step: a block whose total keeps the running count below
    // `remaining` is skipped whole; the block holding the boundary is resolved bucket by bucket.
    // (`buckets` is a multiple of 8.)
    var above: Int32 = 0
    var found = -1
    var b = buckets - 8
    while b >= 0 && found < 0 {
      let block = UnsafeRawPointer(histogram + b).loadUnaligned(as: SIMD8<Int32>.self)
      let total = block.wrappedSum()
      if above &+ total < remaining {
        above &+= total
      } else {
        var lane = 7
        while lane >= 0 {
          let h = block[lane]
          if above &+ h >= remaining {
            found = b + lane
            break
          }
          above &+= h
          lane -= 1
        }
      }
      b -= 8
    }
    remaining -= above
    return max(found, 0)
  }
}
