import CKernelSupport
import Foundation

/// Sparse softmax attention over each query's selected keys S_t (shared by all heads):
/// A_{t,s} = softmax_{s∈S_t}(q_t·k_s) (q already scaled by 1/√d_h), O_t = Σ A_{t,s} v'_s.
/// Exact two-pass softmax per (query, head): scores into a k_t buffer, max, exp, sum, weighted
/// values, one reciprocal. float32 storage and accumulation.
///
/// Layout of the work (d_h a multiple of 8; other d_h take a plain scalar path):
/// - scores 8 selected keys at a time: 8 independent dot products read 8 scattered key rows at
///   once (8 independent FMA chains and 8 cache-missing rows in flight), then a transpose-add
///   turns the 8 partial-sum vectors into one vector of 8 scores;
/// - the score buffer is padded with −∞ to a multiple of 8, so exp gives exact zeros there;
/// - the H/H_kv query heads of a kv group share every gathered row: each 8-key block is scored
///   for all of them while its rows are in L1, and P·V runs in 32-key chunks whose value rows
///   serve every head from L1;
/// - P·V keeps the head's output row (≤ 64 floats per pass) in registers while streaming the
///   chunk's value rows: one broadcast weight and d/8 FMAs per key.
/// K and V are first copied to head-major blocks (one contiguous L × d block per kv group) and
/// the work runs one kv group at a time, so the rows a group gathers stay in the last-level
/// cache (a copy of 2·L·H_kv·d floats; memory O(L·H_kv·d)).
///
/// Counts per (query, head) with k = k_t: `softmaxRowCounts(keys: k, headDim: d)`;
/// useful = executed (no padding).
func sparseAttention(
  _ inputs: AttentionInputs, selection: SelectionSets, length L: Int, output: UnsafeMutablePointer<Float>,
  ledger: inout FlopLedger
) {
  let d = inputs.headDim
  let H = inputs.heads
  let Hkv = inputs.kvHeads
  let block = 16
  // Head-major copies of K and V (group g's L × d rows contiguous at g·L·d): in the row-major
  // L × (H_kv·d) layout one group's rows are d of every H_kv·d floats, so they map to only a
  // 1/H_kv share of the cache sets and a group's 2·L·d floats do not stay cached.
  // Cache-line aligned: a row of d = 64 floats then spans 4 lines, not 5.
  let packedK = allocateAligned(max(1, Hkv * L * d))
  let packedV = allocateAligned(max(1, Hkv * L * d))
  defer {
    packedK.deallocate()
    packedV.deallocate()
  }
  packByKVHead(inputs.keys, rows: L, kvHeads: Hkv, headDim: d, blockRows: L, into: packedK)
  packByKVHead(inputs.values, rows: L, kvHeads: Hkv, headDim: d, blockRows: L, into: packedV)
  let pOut = SharedPointer(output)
  let pK = SharedConstPointer(packedK), pV = SharedConstPointer(packedV)
  let box = UncheckedBox(inputs)
  let maxK = selection.counts.max() ?? 0
  let partial = selection.indices.withUnsafeBufferPointer { idxBuf in
    let pIdx = SharedConstPointer(idxBuf.baseAddress ?? UnsafePointer(bitPattern: 8)!)
    let offsets = selection.offsets
    let counts = selection.counts
    // Tasks run group-major (task = g · blocks + query block; workers take tasks in order), so
    // both workers gather from one group's 2·L·d floats at a time: 16 MiB at L = 32768, d = 64,
    // which stays in the last-level cache where all groups' K/V (2·L·H_kv·d floats) would not.
    let blocks = (L + block - 1) / block
    let groupSize = H / Hkv
    let scoreStride = roundUp(max(maxK, 1), 8)
    return parallelTasks(taskCount: Hkv * blocks) { _, task, ledger in
      let inputs = box.value
      // Per head of the group: a score row, then its 1/Σp.
      let scores = UnsafeMutablePointer<Float>.allocate(capacity: groupSize * (scoreStride + 1))
      defer { scores.deallocate() }
      let g = task / blocks
      let start = (task % blocks) * block
      let keys = pK.base + g * L * d, values = pV.base + g * L * d
      var flopCounts = FlopCounts()
      for t in start..<min(L, start + block) {
        let k = counts[t]
        let first = t * H + g * groupSize
        sparseGroup(
          inputs.queries + first * d, heads: groupSize, keys: keys, values: values, headDim: d,
          selected: pIdx.base + offsets[t], count: k, scores: scores, scoreStride: scoreStride,
          output: pOut.base + first * d)
        flopCounts += softmaxRowCounts(keys: k, headDim: d).times(groupSize)
      }
      ledger.add(.attention, flopCounts)
    }
  }
  ledger += partial
}

/// Uninitialised floats on a 64-byte (cache-line) boundary; release with `deallocate()`.
/// Buffers of 4 MiB or more are 2 MiB aligned, padded to whole 2 MiB pages and advised as
/// transparent huge pages (`madvise(MADV_HUGEPAGE)`; a hint, ignored where THP is off): random
/// row gathers over 16 MiB touch 4096 distinct 4 KiB pages, more than the L2 TLB holds.
func allocateAligned(_ count: Int) -> UnsafeMutablePointer<Float> {
  let bytes = count * MemoryLayout<Float>.stride
  let hugePage = 2 << 20
  guard bytes >= 2 * hugePage else {
    return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Float.self, capacity: count)
  }
  let padded = (bytes + hugePage - 1) / hugePage * hugePage
  let raw = UnsafeMutableRawPointer.allocate(byteCount: padded, alignment: hugePage)
  _ = madvise(raw, padded, MADV_HUGEPAGE)
  return raw.bindMemory(to: Float.self, capacity: count)
}

/// Copies rows 0..<`rows` of a row-major rows × (H_kv·d) matrix to head-major blocks: kv group
/// g's row s (d floats) goes to `destination` + (g·blockRows + s)·d (`blockRows` ≥ rows; rows
/// rows..<blockRows of each block are left as they are). Both workers, 64 rows per task; a copy,
/// no FLOPs. The sparse core's K/V (blockRows = L) and the dense kernel's `valuesByHead`
/// (blockRows = keyStride) use this layout.
func packByKVHead(
  _ source: UnsafePointer<Float>, rows: Int, kvHeads Hkv: Int, headDim d: Int, blockRows: Int,
  into destination: UnsafeMutablePointer<Float>
) {
  let rowsPerTask = 64
  let from = SharedConstPointer(source), to = SharedPointer(destination)
  _ = parallelTasks(taskCount: (rows + rowsPerTask - 1) / rowsPerTask) { _, task, _ in
    for s in (task * rowsPerTask)..<min(rows, task * rowsPerTask + rowsPerTask) {
      for g in 0..<Hkv {
        (to.base + (g * blockRows + s) * d).update(from: from.base + (s * Hkv + g) * d, count: d)
      }
    }
  }
}

/// One query and the `heads` query heads of one kv group (rows of d floats at q + h·d, outputs at
/// output + h·d): O_h = Σ_i softmax(s_h)_i · v_{sel[i]} with s_{h,i} = q_h·k_{sel[i]}, `keys` and
/// `values` the group's contiguous rows of d floats. The heads share every gathered row: each
/// 8-key block of K rows is fetched (and the next block prefetched) once and scored for all heads
/// while it is in L1, and P·V runs in 32-key chunks whose V rows serve every head from L1.
/// `scores` holds heads × `scoreStride` floats (scoreStride ≥ roundUp(k, 8)) followed by the heads'
/// 1/Σp.
@inline(__always)
private func sparseGroup(
  _ q: UnsafePointer<Float>, heads G: Int, keys kBase: UnsafePointer<Float>, values vBase: UnsafePointer<Float>,
  headDim d: Int, selected sel: UnsafePointer<Int32>, count k: Int, scores: UnsafeMutablePointer<Float>, scoreStride: Int,
  output out: UnsafeMutablePointer<Float>
) {
  let ldkv = d
  let inverses = scores + G * scoreStride
  guard k > 0 else {
    for x in 0..<(G * d) { out[x] = .nan }
    return
  }
  guard d % 8 == 0 else {
    for h in 0..<G {
      sparseHeadScalar(q + h * d, kBase, vBase, ldkv: ldkv, d: d, sel, k, scores, out + h * d)
    }
    return
  }
  // Scores, 8 keys per step, every head of the group on the same 8 rows.
  var i = 0
  while i + 8 <= k {
    let r0 = kBase + Int(sel[i]) * ldkv, r1 = kBase + Int(sel[i + 1]) * ldkv
    let r2 = kBase + Int(sel[i + 2]) * ldkv, r3 = kBase + Int(sel[i + 3]) * ldkv
    let r4 = kBase + Int(sel[i + 4]) * ldkv, r5 = kBase + Int(sel[i + 5]) * ldkv
    let r6 = kBase + Int(sel[i + 6]) * ldkv, r7 = kBase + Int(sel[i + 7]) * ldkv
    // Prefetch the next 8 key rows and this block's 8 value rows (read by P·V below): with
    // random selections every row is a cache miss, and the hints keep ~16 rows in flight.
    if i + 16 <= k {
      for j in (i + 8)..<(i + 16) { prefetchRow(kBase + Int(sel[j]) * ldkv, floats: d) }
    }
    for j in i..<(i + 8) { prefetchRow(vBase + Int(sel[j]) * ldkv, floats: d) }
    for h in 0..<G {
      let qh = q + h * d
      var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
      var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
      var x = 0
      while x < d {
        let qv = loadV(qh + x)
        a0 = a0.addingProduct(qv, loadV(r0 + x)); a1 = a1.addingProduct(qv, loadV(r1 + x))
        a2 = a2.addingProduct(qv, loadV(r2 + x)); a3 = a3.addingProduct(qv, loadV(r3 + x))
        a4 = a4.addingProduct(qv, loadV(r4 + x)); a5 = a5.addingProduct(qv, loadV(r5 + x))
        a6 = a6.addingProduct(qv, loadV(r6 + x)); a7 = a7.addingProduct(qv, loadV(r7 + x))
        x += 8
      }
      storeV(laneSums(a0, a1, a2, a3, a4, a5, a6, a7), scores + h * scoreStride + i)
    }
    i += 8
  }
  while i < k {
    let row = kBase + Int(sel[i]) * ldkv
    for h in 0..<G {
      var a = SIMD8<Float>()
      var x = 0
      while x < d {
        a = a.addingProduct(loadV(q + h * d + x), loadV(row + x))
        x += 8
      }
      scores[h * scoreStride + i] = horizontalSum(a)
    }
    i += 1
  }
  // Softmax per head: max, then p = exp(s − max) (exact 0 in the −∞ padding) and Σp; O_h starts at 0.
  let padded = roundUp(k, 8)
  for h in 0..<G {
    let row = scores + h * scoreStride
    for j in k..<padded { row[j] = -.infinity }
    var mx = SIMD8<Float>(repeating: -.infinity)
    i = 0
    while i < padded {
      let s = loadV(row + i)
      mx = mx.replacing(with: s, where: s .> mx)
      i += 8
    }
    let shift = SIMD8<Float>(repeating: horizontalMax(mx))
    var sumV = SIMD8<Float>()
    i = 0
    while i < padded {
      let p = expV(loadV(row + i) - shift)
      storeV(p, row + i)
      sumV += p
      i += 8
    }
    inverses[h] = 1 / horizontalSum(sumV)
    (out + h * d).initialize(repeating: 0, count: d)
  }
  // O_h += Σ_{j in chunk} p_{h,j} v_j, 32 keys per chunk (8 KiB of V rows at d 64, reused from
  // L1 by every head); 64 output columns per pass in 8 register accumulators, then 8 at a time.
  let chunk = 32
  var j0 = 0
  while j0 < k {
    let j1 = Swift.min(k, j0 + chunk)
    for h in 0..<G {
      let p = scores + h * scoreStride
      let o = out + h * d
      var x0 = 0
      while x0 + 64 <= d {
        var o0 = loadV(o + x0), o1 = loadV(o + x0 + 8), o2 = loadV(o + x0 + 16), o3 = loadV(o + x0 + 24)
        var o4 = loadV(o + x0 + 32), o5 = loadV(o + x0 + 40), o6 = loadV(o + x0 + 48), o7 = loadV(o + x0 + 56)
        for j in j0..<j1 {
          let v = vBase + Int(sel[j]) * ldkv + x0
          let pj = SIMD8<Float>(repeating: p[j])
          o0 = o0.addingProduct(pj, loadV(v)); o1 = o1.addingProduct(pj, loadV(v + 8))
          o2 = o2.addingProduct(pj, loadV(v + 16)); o3 = o3.addingProduct(pj, loadV(v + 24))
          o4 = o4.addingProduct(pj, loadV(v + 32)); o5 = o5.addingProduct(pj, loadV(v + 40))
          o6 = o6.addingProduct(pj, loadV(v + 48)); o7 = o7.addingProduct(pj, loadV(v + 56))
        }
        storeV(o0, o + x0); storeV(o1, o + x0 + 8); storeV(o2, o + x0 + 16); storeV(o3, o + x0 + 24)
        storeV(o4, o + x0 + 32); storeV(o5, o + x0 + 40); storeV(o6, o + x0 + 48); storeV(o7, o + x0 + 56)
        x0 += 64
      }
      // Remaining columns 8 at a time, 4 key-interleaved accumulators (independent FMA chains).
      while x0 < d {
        var e0 = loadV(o + x0), e1 = SIMD8<Float>(), e2 = SIMD8<Float>(), e3 = SIMD8<Float>()
        var j = j0
        while j + 4 <= j1 {
          e0 = e0.addingProduct(SIMD8(repeating: p[j]), loadV(vBase + Int(sel[j]) * ldkv + x0))
          e1 = e1.addingProduct(SIMD8(repeating: p[j + 1]), loadV(vBase + Int(sel[j + 1]) * ldkv + x0))
          e2 = e2.addingProduct(SIMD8(repeating: p[j + 2]), loadV(vBase + Int(sel[j + 2]) * ldkv + x0))
          e3 = e3.addingProduct(SIMD8(repeating: p[j + 3]), loadV(vBase + Int(sel[j + 3]) * ldkv + x0))
          j += 4
        }
        while j < j1 {
          e0 = e0.addingProduct(SIMD8(repeating: p[j]), loadV(vBase + Int(sel[j]) * ldkv + x0))
          j += 1
        }
        storeV((e0 + e1) + (e2 + e3), o + x0)
        x0 += 8
      }
    }
    j0 = j1
  }
  // O_h /= Σp_h.
  for h in 0..<G {
    let inv = SIMD8<Float>(repeating: inverses[h])
    let o = out + h * d
    var x = 0
    while x < d {
      storeV(loadV(o + x) * inv, o + x)
      x += 8
    }
  }
}

/// Prefetch hints for the cache lines of `floats` consecutive floats from `row`.
@inline(__always) func prefetchRow(_ row: UnsafePointer<Float>, floats: Int) {
  if floats == 64 {
    // d_h = 64 (the probes' and presets' head size): the same 5 hints, unrolled (the loop below
    // costs ~20 instructions per row, 16 rows per 8-key block).
    gsa_prefetch(row)
    gsa_prefetch(row + 16)
    gsa_prefetch(row + 32)
    gsa_prefetch(row + 48)
    gsa_prefetch(row + 63)
    return
  }
  var offset = 0
  while offset < floats {
    gsa_prefetch(row + offset)
    offset += 16
  }
  gsa_prefetch(row + floats - 1)
}

/// `sparseHead` for head dimensions that are not a multiple of 8 (small test configurations).
private func sparseHeadScalar(
  _ q: UnsafePointer<Float>, _ kBase: UnsafePointer<Float>, _ vBase: UnsafePointer<Float>, ldkv: Int, d: Int,
  _ sel: UnsafePointer<Int32>, _ k: Int, _ scores: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>
) {
  var mx = -Float.infinity
  for i in 0..<k {
    let row = kBase + Int(sel[i]) * ldkv
    var s: Float = 0
    for x in 0..<d { s = s.addingProduct(q[x], row[x]) }
    scores[i] = s
    mx = Swift.max(mx, s)
  }
  var sum: Float = 0
  for i in 0..<k {
    let p = Foundation.exp(scores[i] - mx)
    scores[i] = p
    sum += p
  }
  for x in 0..<d { out[x] = 0 }
  for i in 0..<k {
    let row = vBase + Int(sel[i]) * ldkv
    for x in 0..<d { out[x] = out[x].addingProduct(scores[i], row[x]) }
  }
  let inv = 1 / sum
  for x in 0..<d { out[x] *= inv }
}
