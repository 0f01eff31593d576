/// Top-k selection by radix select on order-preserving 32-bit keys, with a data-independent
/// operation count (so the cost model can predict it exactly).
///
/// Order: the k largest values under the total order "larger value first, then lower index
/// first" (ties broken by the lower index; −0 ranks below +0, IEEE total order on the bits).
/// Method: one pass finds the smallest and largest key, and the radix digits are taken from the
/// offset key − min, whose R = bit width of (max − min) significant bits are split 11 / 11 / rest
/// (indexer scores of one row span a narrow range: their raw keys share most high bits, so digits
/// of the raw key put most candidates in one bucket and the later passes touch most of them).
/// Three histogram passes over all n candidates (pass p only counts candidates matching the
/// digits found so far), each followed by a full scan of its histogram (2048, 2048, 1024 buckets)
/// locating the bucket holding the k-th key; then one gather pass writing the selected indices
/// in ascending order. Passes 2, 3 and the gather test 8 keys per step (SIMD) and touch memory
/// only for matching lanes.
///
/// Counted comparisons: 0 when k ≥ n (all candidates taken), else 6·n + 5120 (min and max: 2n;
/// three histogram passes and the gather: n each; the histogram scans: 5120).
enum TopK {
  /// Int32 entries of the histogram scratch: 4 interleaved copies of 2048 buckets (element i
  /// counts into copy i mod 4, so runs of equal keys do not serialise on one counter).
  static let histogramSize = 4 * 2048
  static let scanCost = 2048 + 2048 + 1024

  /// Comparisons `select` counts for n candidates and budget k.
  @inline(__always) static func comparisons(candidates n: Int, k: Int) -> Int { k >= n ? 0 : 6 * n + scanCost }

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

  /// histogram[copy(lane) · 2048 + bucket[lane]] += hit[lane] ? 1 : 0 for the 8 lanes (copy = lane mod 4).
  @inline(__always) static func countHits(
    _ histogram: UnsafeMutablePointer<Int32>, _ bucket: SIMD8<UInt32>, _ hit: SIMDMask<SIMD8<Int32>>
  ) {
    let add = SIMD8<Int32>(repeating: 0).replacing(with: 1, where: hit)
    histogram[Int(bucket[0])] &+= add[0]
    histogram[2048 + Int(bucket[1])] &+= add[1]
    histogram[4096 + Int(bucket[2])] &+= add[2]
    histogram[6144 + Int(bucket[3])] &+= add[3]
    histogram[Int(bucket[4])] &+= add[4]
    histogram[2048 + Int(bucket[5])] &+= add[5]
    histogram[4096 + Int(bucket[6])] &+= add[6]
    histogram[6144 + Int(bucket[7])] &+= add[7]
  }

  /// The mask as an 8-bit integer (bit l = lane l): one weighted lane sum.
  @inline(__always) static func laneBits(_ mask: SIMDMask<SIMD8<Int32>>) -> UInt32 {
    SIMD8<UInt32>(1, 2, 4, 8, 16, 32, 64, 128).replacing(with: 0, where: .!mask).wrappedSum()
  }

  /// Whether any lane of the mask is set: OR-reduction by halves (the standard library's `any`
  /// compiled to a scalar extract-and-cmov chain, the top-k's largest cost).
  @inline(__always) static func anyLane(_ mask: SIMDMask<SIMD8<Int32>>) -> Bool {
    let v = SIMD8<UInt32>(repeating: 0).replacing(with: 1, where: mask)
    let four = v.lowHalf | v.highHalf
    let two = four.lowHalf | four.highHalf
    return (two[0] | two[1]) != 0
  }

  /// Writes the indices of the top `k` of `values[0..<n]` in ascending order to `out`, returns
  /// the number written (min(k, n)) and adds the counted comparisons to `comparisons`.
  /// `histogram` must hold `histogramSize` Int32.
  @discardableResult
  static func select(
    _ values: UnsafePointer<Float>, count n: Int, k: Int, histogram: UnsafeMutablePointer<Int32>,
    into out: UnsafeMutablePointer<Int32>, comparisons: inout Int
  ) -> Int {
    if k >= n {
      for i in 0..<n { out[i] = Int32(i) }
      return n
    }
    if k <= 0 { return 0 }
    // Pass 0: the smallest and largest key; digits come from the offset key − min.
    var lowV = SIMD8<UInt32>(repeating: .max), highV = SIMD8<UInt32>(repeating: 0)
    var i = 0
    while i + 8 <= n {
      let kv = keys(values + i)
      lowV = pointwiseMin(lowV, kv)
      highV = pointwiseMax(highV, kv)
      i += 8
    }
    var low = lowV.min(), high = highV.max()
    while i < n {
      let kv = key(values[i])
      low = Swift.min(low, kv)
      high = Swift.max(high, kv)
      i += 1
    }
    // R significant bits of (key − low) ≤ high − low; digits: bits R−1 … s1, s1−1 … s2, s2−1 … 0.
    let bits = UInt32.bitWidth - (high &- low).leadingZeroBitCount
    let s1 = UInt32(Swift.max(bits - 11, 0)), s2 = UInt32(Swift.max(bits - 22, 0))
    let lowVector = SIMD8<UInt32>(repeating: low)
    var remaining = Int32(k)
    // Pass 1: the top digit (< 2^11 buckets).
    histogram.initialize(repeating: 0, count: histogramSize)
    i = 0
    while i + 8 <= n {
      // Digits of 8 values in one vector; lane l counts into copy l mod 4.
      let top = (keys(values + i) &- lowVector) &>> s1
      histogram[Int(top[0])] &+= 1
      histogram[2048 + Int(top[1])] &+= 1
      histogram[4096 + Int(top[2])] &+= 1
      histogram[6144 + Int(top[3])] &+= 1
      histogram[Int(top[4])] &+= 1
      histogram[2048 + Int(top[5])] &+= 1
      histogram[4096 + Int(top[6])] &+= 1
      histogram[6144 + Int(top[7])] &+= 1
      i += 8
    }
    while i < n {
      histogram[Int((key(values[i]) &- low) >> s1)] += 1
      i += 1
    }
    var bucket = scan(histogram, buckets: 2048, copies: 4, remaining: &remaining)
    var prefix = UInt32(bucket)
    // Passes 2, 3 and the gather test 8 keys at a time and touch memory only for the lanes that
    // match (few: the candidates sharing the k-th key's digits, and the ≈ k selected ones), so
    // they run at vector speed; the tests they count are unchanged (n each).
    // Pass 2: the middle digit among offset keys with the top digit found.
    countPrefixed(
      values, count: n, low: low, into: histogram, prefix: prefix, prefixShift: s1, bucketShift: s2,
      bucketMask: (1 << (s1 - s2)) - 1)
    bucket = scan(histogram, buckets: 2048, copies: 4, remaining: &remaining)
    prefix = (prefix << (s1 - s2)) | UInt32(bucket)
    // Pass 3: the low digit (≤ 10 bits) among offset keys with the top two digits found.
    countPrefixed(values, count: n, low: low, into: histogram, prefix: prefix, prefixShift: s2, bucketShift: 0, bucketMask: (1 << s2) - 1)
    bucket = scan(histogram, buckets: 1024, copies: 4, remaining: &remaining)
    let threshold = (prefix << s2) | UInt32(bucket)
    // `remaining` is now how many keys equal to the threshold to take (lowest indices first).
    var written = 0
    var equalLeft = remaining
    @inline(__always) func take(_ kv: UInt32, _ index: Int) {
      if kv > threshold {
        out[written] = Int32(index)
        written += 1
      } else if kv == threshold && equalLeft > 0 {
        out[written] = Int32(index)
        written += 1
        equalLeft -= 1
      }
    }
    let thresholdV = SIMD8<UInt32>(repeating: threshold)
    i = 0
    while i + 8 <= n {
      let kv = keys(values + i) &- lowVector
      // Visit only the set lanes (lowest first, so indices stay ascending): usually none, so the
      // cheap vector OR-test comes first.
      let hit = kv .>= thresholdV
      guard anyLane(hit) else {
        i += 8
        continue
      }
      var bits = laneBits(hit)
      while bits != 0 {
        let lane = bits.trailingZeroBitCount
        take(kv[lane], i + lane)
        bits &= bits &- 1
      }
      i += 8
    }
    while i < n {
      take(key(values[i]) &- low, i)
      i += 1
    }
    comparisons += 6 * n + scanCost
    return written
  }

  /// One filtered histogram pass (passes 2 and 3): clears `histogram`, then counts bucket
  /// (o >> bucketShift) & bucketMask of every offset key o = key − low with o >> prefixShift = prefix.
  /// 8 keys per step; a block with any match adds its 0/1 hit flags branch-free (4 interleaved
  /// copies, as in pass 1).
  @inline(__always)
  private static func countPrefixed(
    _ values: UnsafePointer<Float>, count n: Int, low: UInt32, into histogram: UnsafeMutablePointer<Int32>,
    prefix: UInt32, prefixShift: UInt32, bucketShift: UInt32, bucketMask: UInt32
  ) {
    histogram.initialize(repeating: 0, count: histogramSize)
    let prefixV = SIMD8<UInt32>(repeating: prefix), lowV = SIMD8<UInt32>(repeating: low)
    var i = 0
    while i + 8 <= n {
      let kv = keys(values + i) &- lowV
      let hit = (kv &>> prefixShift) .== prefixV
      if anyLane(hit) { countHits(histogram, (kv &>> bucketShift) & bucketMask, hit) }
      i += 8
    }
    while i < n {
      let kv = key(values[i]) &- low
      if kv >> prefixShift == prefix { histogram[Int((kv >> bucketShift) & bucketMask)] += 1 }
      i += 1
    }
  }

  /// Scans all buckets from the top; returns the bucket holding the `remaining`-th largest key
  /// and reduces `remaining` by the count of keys in higher buckets. The `copies` (4) interleaved
  /// histogram copies are folded into copy 0 first.
  @inline(__always)
  private static func scan(_ histogram: UnsafeMutablePointer<Int32>, buckets: Int, copies: Int, remaining: inout Int32) -> Int {
    // Fold the 4 interleaved copies into copy 0 (SIMD), then test every bucket from the top.
    var b = 0
    while copies == 4 && b < buckets {
      let raw = UnsafeMutableRawPointer(histogram + b)
      let sum =
        raw.loadUnaligned(as: SIMD8<Int32>.self) &+ raw.loadUnaligned(fromByteOffset: 2048 * 4, as: SIMD8<Int32>.self)
        &+ raw.loadUnaligned(fromByteOffset: 4096 * 4, as: SIMD8<Int32>.self)
        &+ raw.loadUnaligned(fromByteOffset: 6144 * 4, as: SIMD8<Int32>.self)
      raw.storeBytes(of: sum, as: SIMD8<Int32>.self)
      b += 8
    }
    // From the top, 8 buckets per step: a block whose total keeps the running count below
    // `remaining` is skipped whole; the block holding the boundary is resolved bucket by bucket.
    // (`buckets` is a multiple of 8.)
    var above: Int32 = 0
    var found = -1
    b = buckets - 8
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
