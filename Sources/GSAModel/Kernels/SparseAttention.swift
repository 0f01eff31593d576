import CKernelSupport
import Foundation

/// Sparse softmax attention over each query's selected keys S_t (shared by all heads):
/// A_{t,s} = softmax_{s∈S_t}(q_t·k_s) (q already scaled by 1/√d_h), O_t = Σ A_{t,s} v'_s.
/// Exact two-pass softmax per (query, head): scores into a k_t buffer, max, exp, sum, weighted
/// values, one reciprocal. float32 storage and accumulation.
///
/// Layout of the work (d_h a multiple of 8; other d_h take a plain scalar path):
/// - tasks of 16 queries of one kv group run in two phases: the scores of all 16 queries (key rows
///   only), their softmax, then their P·V (value rows only). In each phase the prefetch hints run
///   8 rows ahead through the concatenated selections, from one query's into the next, so ~16
///   scattered rows stay in flight without a break at query boundaries (measured at L = 32768,
///   H_kv 8, k 256, best of 5 interleaved rounds: 0.46–0.51 s against 0.62–0.68 s for one query
///   at a time with the value rows prefetched while scoring);
/// - scores 8 selected keys at a time: 8 independent dot products read 8 scattered key rows at
///   once (8 independent FMA chains), then a transpose-add turns the 8 partial-sum vectors into
///   one vector of 8 scores;
/// - the score buffer is padded with −∞ to a multiple of 8, so exp gives exact zeros there;
/// - the H/H_kv query heads of a kv group share every gathered row: each 8-key block is scored
///   for all of them while its rows are in L1, and P·V runs in 32-key chunks whose value rows
///   serve every head from L1;
/// - P·V keeps the head's output row (≤ 64 floats per pass) in registers while streaming the
///   chunk's value rows: one broadcast weight and d/8 FMAs per key; 1/Σp is applied as the last
///   chunk is stored.
/// K and V are first copied to head-major blocks (one contiguous L × d block per kv group) and
/// the work runs one kv group at a time, so the rows a group gathers stay in the last-level
/// cache (a copy of 2·L·H_kv·d floats; memory O(L·H_kv·d)). Per worker a scratch of
/// 16 · (H/H_kv) · (⌈max k_t⌉₈ + 1) floats holds the task's scores.
///
/// Counts per (query, head) with k = k_t: `softmaxRowCounts(keys: k, headDim: d)`;
/// useful = executed (no padding). Bytes (`ByteCounts`): K and V read once (the head-major copy
/// streams them), Q read and O written once, the 4-byte index lists read once; gathered: each
/// selected K and V row once per query and kv group, Σ_t k_t·H_kv·d·2 floats.
func sparseAttention(
  _ inputs: AttentionInputs, selection: SelectionSets, length L: Int, output: UnsafeMutablePointer<Float>,
  ledger: inout FlopLedger, workers requested: Int = kernelWorkerCount
) {
  let d = inputs.headDim
  let H = inputs.heads
  let Hkv = inputs.kvHeads
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
  packByKVHead(inputs.keys, rows: L, kvHeads: Hkv, headDim: d, blockRows: L, into: packedK, workers: requested)
  packByKVHead(inputs.values, rows: L, kvHeads: Hkv, headDim: d, blockRows: L, into: packedV, workers: requested)
  ledger.addBytes(.attention, ByteCounts(read: 4 * 2 * L * Hkv * d))
  let pOut = SharedPointer(output)
  let pK = SharedConstPointer(packedK), pV = SharedConstPointer(packedV)
  let box = UncheckedBox(inputs)
  let maxK = selection.counts.max() ?? 0
  let groupSize = H / Hkv
  let scoreStride = KernelBuffers.sparseScoreStride(maxSelected: maxK)
  // Tasks of 16 queries of one kv group: all their scores first (K rows only), then their P·V (V
  // rows only); in each phase the prefetch stream runs on from one query's selection to the next.
  let queryBlock = KernelBuffers.sparseTaskQueries
  let blocks = (L + queryBlock - 1) / queryBlock
  let workers = max(1, min(requested, Hkv * blocks))
  // Per worker: the task's score rows (queries × heads × scoreStride floats), then the heads' 1/Σp.
  let scratchFloats = KernelBuffers.sparseScratchFloats(length: L, groupSize: groupSize, maxSelected: maxK)
  let scratch = (0..<workers).map { _ in SharedPointer(allocateAligned(max(1, scratchFloats))) }
  defer { for buffer in scratch { buffer.base.deallocate() } }
  let partial = selection.indices.withUnsafeBufferPointer { idxBuf in
    let pIdx = SharedConstPointer(idxBuf.baseAddress ?? UnsafePointer(bitPattern: 8)!)
    let offsets = selection.offsets
    let counts = selection.counts
    return parallelTasks(taskCount: Hkv * blocks, workers: workers) { worker, task, ledger in
      let inputs = box.value
      let g = task / blocks
      let t0 = (task % blocks) * queryBlock, t1 = min(L, t0 + queryBlock)
      let keys = pK.base + g * L * d, values = pV.base + g * L * d
      let scores = scratch[worker].base
      let rowFloats = groupSize * scoreStride
      let inverses = scores + (t1 - t0) * rowFloats
      var flopCounts = FlopCounts()
      var selected = 0
      for t in t0..<t1 {
        flopCounts += softmaxRowCounts(keys: counts[t], headDim: d).times(groupSize)
        selected += counts[t]
      }
      ledger.add(.attention, flopCounts)
      let queryBytes = 4 * (t1 - t0) * groupSize * d
      ledger.addBytes(
        .attention,
        ByteCounts(read: queryBytes + (g == 0 ? 4 * selected : 0), written: queryBytes, gathered: 4 * 2 * d * selected))
      guard d % 8 == 0 else {
        for t in t0..<t1 {
          let first = t * H + g * groupSize
          for h in 0..<groupSize {
            sparseHeadScalar(
              inputs.queries + (first + h) * d, keys, values, ldkv: d, d: d, pIdx.base + offsets[t], counts[t], scores,
              pOut.base + (first + h) * d)
          }
        }
        return
      }
      // The selection of the next query in this task: its first rows are prefetched while t's last
      // rows are processed, so the gathers stay in flight from one query to the next.
      func next(_ t: Int) -> (UnsafePointer<Int32>, Int) {
        t + 1 < t1 ? (pIdx.base + offsets[t + 1], counts[t + 1]) : (pIdx.base, 0)
      }
      for t in t0..<t1 {
        let (nextSel, nextCount) = next(t)
        scoreRun(
          inputs.queries + (t * H + g * groupSize) * d, heads: groupSize, keys: keys, headDim: d,
          selected: pIdx.base + offsets[t], count: counts[t], next: nextSel, nextCount: nextCount,
          scores: scores + (t - t0) * rowFloats, scoreStride: scoreStride)
      }
      for t in t0..<t1 {
        let out = pOut.base + (t * H + g * groupSize) * d
        guard counts[t] > 0 else {
          for x in 0..<(groupSize * d) { out[x] = .nan }
          continue
        }
        softmaxRows(
          heads: groupSize, count: counts[t], scores: scores + (t - t0) * rowFloats, scoreStride: scoreStride,
          inverses: inverses + (t - t0) * groupSize)
      }
      let (secondSel, secondCount) = next(t0)
      prefetchStream(values, headDim: d, pIdx.base + offsets[t0], count: counts[t0], secondSel, nextCount: secondCount, from: 0)
      for t in t0..<t1 where counts[t] > 0 {
        let (nextSel, nextCount) = next(t)
        accumulateRun(
          heads: groupSize, values: values, headDim: d, selected: pIdx.base + offsets[t], count: counts[t],
          next: nextSel, nextCount: nextCount, weights: scores + (t - t0) * rowFloats, scoreStride: scoreStride,
          inverses: inverses + (t - t0) * groupSize, output: pOut.base + (t * H + g * groupSize) * d)
      }
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
  guard bytes >= KernelBuffers.hugePageThresholdBytes else {
    return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Float.self, capacity: count)
  }
  let padded = KernelBuffers.alignedBytes(floats: count)
  let raw = UnsafeMutableRawPointer.allocate(byteCount: padded, alignment: KernelBuffers.hugePageBytes)
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
  into destination: UnsafeMutablePointer<Float>, workers: Int = kernelWorkerCount
) {
  let rowsPerTask = 64
  let from = SharedConstPointer(source), to = SharedPointer(destination)
  _ = parallelTasks(taskCount: (rows + rowsPerTask - 1) / rowsPerTask, workers: workers) { _, task, _ in
    for s in (task * rowsPerTask)..<min(rows, task * rowsPerTask + rowsPerTask) {
      for g in 0..<Hkv {
        (to.base + (g * blockRows + s) * d).update(from: from.base + (s * Hkv + g) * d, count: d)
      }
    }
  }
}

/// Scores of one query's `count` selected keys for the `heads` query heads of one kv group (rows
/// of d floats at q + h·d, d a multiple of 8): s_{h,i} = q_h·k_{sel[i]}, stored at
/// scores + h·scoreStride + i. 8 keys per step (8 independent FMA chains, 8 scattered rows in
/// flight), every head on the same 8 rows while they are in L1; each step prefetches the next 8
/// rows of the stream this query's selection continues with `next` (the next query's).
@inline(__always)
private func scoreRun(
  _ q: UnsafePointer<Float>, heads G: Int, keys kBase: UnsafePointer<Float>, headDim d: Int,
  selected sel: UnsafePointer<Int32>, count k: Int, next: UnsafePointer<Int32>, nextCount: Int,
  scores: UnsafeMutablePointer<Float>, scoreStride: Int
) {
  var i = 0
  while i + 8 <= k {
    let r0 = kBase + Int(sel[i]) * d, r1 = kBase + Int(sel[i + 1]) * d
    let r2 = kBase + Int(sel[i + 2]) * d, r3 = kBase + Int(sel[i + 3]) * d
    let r4 = kBase + Int(sel[i + 4]) * d, r5 = kBase + Int(sel[i + 5]) * d
    let r6 = kBase + Int(sel[i + 6]) * d, r7 = kBase + Int(sel[i + 7]) * d
    prefetchStream(kBase, headDim: d, sel, count: k, next, nextCount: nextCount, from: i + 8)
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
  if i < k { prefetchStream(kBase, headDim: d, sel, count: k, next, nextCount: nextCount, from: i + 8) }
  while i < k {
    scoreOneRow(q, heads: G, row: kBase + Int(sel[i]) * d, headDim: d, scores: scores + i, stride: scoreStride)
    i += 1
  }
}

/// scores[h·stride] = q_h · row for the G query heads of one kv group (rows of d floats at
/// q + h·d; d a multiple of 8): one 8-wide accumulator per head, as the tails of the sparse and
/// the dense decode score runs compute a single remaining key row.
@inline(__always)
func scoreOneRow(
  _ q: UnsafePointer<Float>, heads G: Int, row: UnsafePointer<Float>, headDim d: Int,
  scores: UnsafeMutablePointer<Float>, stride: Int
) {
  for h in 0..<G {
    var a = SIMD8<Float>()
    var x = 0
    while x < d {
      a = a.addingProduct(loadV(q + h * d + x), loadV(row + x))
      x += 8
    }
    scores[h * stride] = horizontalSum(a)
  }
}

/// Prefetch hints for rows `from..<from + 8` of the stream `sel[0..<count]` followed by
/// `next[0..<nextCount]`.
@inline(__always)
private func prefetchStream(
  _ base: UnsafePointer<Float>, headDim d: Int, _ sel: UnsafePointer<Int32>, count k: Int, _ next: UnsafePointer<Int32>,
  nextCount: Int, from: Int
) {
  let end = from + 8
  var j = from
  while j < Swift.min(end, k) {
    prefetchRow(base + Int(sel[j]) * d, floats: d)
    j += 1
  }
  var n = Swift.max(0, j - k)
  while n < Swift.min(end - k, nextCount) {
    prefetchRow(base + Int(next[n]) * d, floats: d)
    n += 1
  }
}

/// Softmax numerators of each head's `count` scores, in place: p = exp(s − max s) (the row padded
/// with −∞ to a multiple of 8, exact zeros there), and 1/Σp to `inverses[h]`.
@inline(__always)
private func softmaxRows(
  heads G: Int, count k: Int, scores: UnsafeMutablePointer<Float>, scoreStride: Int,
  inverses: UnsafeMutablePointer<Float>
) {
  let padded = roundUp(k, 8)
  for h in 0..<G {
    let row = scores + h * scoreStride
    for j in k..<padded { row[j] = -.infinity }
    var mx = SIMD8<Float>(repeating: -.infinity)
    var i = 0
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
  }
}

/// O_h = (Σ_j p_{h,j} v_{sel[j]}) · inverses[h] over one query's `count` selected keys for the
/// `heads` heads (weights at weights + h·scoreStride, outputs at output + h·d, d a multiple of 8),
/// in 32-key chunks whose value rows serve every head from L1; 64 output columns per pass in 8
/// register accumulators (zero before the first chunk, scaled by 1/Σp after the last), then 8 at a
/// time. The first head's pass prefetches the stream (this selection, then `next`) 8 rows ahead.
@inline(__always)
private func accumulateRun(
  heads G: Int, values vBase: UnsafePointer<Float>, headDim d: Int, selected sel: UnsafePointer<Int32>, count k: Int,
  next: UnsafePointer<Int32>, nextCount: Int, weights: UnsafeMutablePointer<Float>, scoreStride: Int,
  inverses: UnsafePointer<Float>, output out: UnsafeMutablePointer<Float>
) {
  let chunk = 32
  var j0 = 0
  while j0 < k {
    let j1 = Swift.min(k, j0 + chunk)
    for h in 0..<G {
      let p = weights + h * scoreStride
      let o = out + h * d
      let scale = SIMD8<Float>(repeating: j1 == k ? inverses[h] : 1)
      var x0 = 0
      while x0 + 64 <= d {
        var o0 = SIMD8<Float>(), o1 = SIMD8<Float>(), o2 = SIMD8<Float>(), o3 = SIMD8<Float>()
        var o4 = SIMD8<Float>(), o5 = SIMD8<Float>(), o6 = SIMD8<Float>(), o7 = SIMD8<Float>()
        if j0 > 0 {
          o0 = loadV(o + x0); o1 = loadV(o + x0 + 8); o2 = loadV(o + x0 + 16); o3 = loadV(o + x0 + 24)
          o4 = loadV(o + x0 + 32); o5 = loadV(o + x0 + 40); o6 = loadV(o + x0 + 48); o7 = loadV(o + x0 + 56)
        }
        for j in j0..<j1 {
          // The stream's row 8 ahead, written out: through `prefetchStream` this loop ran ~6% slower
          // (L = 8192, best of 8 rounds: 0.120 against 0.113 s).
          if h == 0 && x0 == 0 {
            let a = j + 8
            if a < k {
              prefetchRow(vBase + Int(sel[a]) * d, floats: d)
            } else if a - k < nextCount {
              prefetchRow(vBase + Int(next[a - k]) * d, floats: d)
            }
          }
          let v = vBase + Int(sel[j]) * d + x0
          let pj = SIMD8<Float>(repeating: p[j])
          o0 = o0.addingProduct(pj, loadV(v)); o1 = o1.addingProduct(pj, loadV(v + 8))
          o2 = o2.addingProduct(pj, loadV(v + 16)); o3 = o3.addingProduct(pj, loadV(v + 24))
          o4 = o4.addingProduct(pj, loadV(v + 32)); o5 = o5.addingProduct(pj, loadV(v + 40))
          o6 = o6.addingProduct(pj, loadV(v + 48)); o7 = o7.addingProduct(pj, loadV(v + 56))
        }
        if j1 == k {
          o0 *= scale; o1 *= scale; o2 *= scale; o3 *= scale; o4 *= scale; o5 *= scale; o6 *= scale; o7 *= scale
        }
        storeV(o0, o + x0); storeV(o1, o + x0 + 8); storeV(o2, o + x0 + 16); storeV(o3, o + x0 + 24)
        storeV(o4, o + x0 + 32); storeV(o5, o + x0 + 40); storeV(o6, o + x0 + 48); storeV(o7, o + x0 + 56)
        x0 += 64
      }
      // Remaining columns 8 at a time, 4 key-interleaved accumulators (independent FMA chains).
      while x0 < d {
        var e0 = j0 > 0 ? loadV(o + x0) : SIMD8<Float>(), e1 = SIMD8<Float>(), e2 = SIMD8<Float>(), e3 = SIMD8<Float>()
        var j = j0
        while j + 4 <= j1 {
          e0 = e0.addingProduct(SIMD8(repeating: p[j]), loadV(vBase + Int(sel[j]) * d + x0))
          e1 = e1.addingProduct(SIMD8(repeating: p[j + 1]), loadV(vBase + Int(sel[j + 1]) * d + x0))
          e2 = e2.addingProduct(SIMD8(repeating: p[j + 2]), loadV(vBase + Int(sel[j + 2]) * d + x0))
          e3 = e3.addingProduct(SIMD8(repeating: p[j + 3]), loadV(vBase + Int(sel[j + 3]) * d + x0))
          j += 4
        }
        while j < j1 {
          e0 = e0.addingProduct(SIMD8(repeating: p[j]), loadV(vBase + Int(sel[j]) * d + x0))
          j += 1
        }
        let sum = (e0 + e1) + (e2 + e3)
        storeV(j1 == k ? sum * scale : sum, o + x0)
        x0 += 8
      }
    }
    j0 = j1
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

/// Floats of `attendQuery`'s scratch for `heads` heads over up to n keys: the score rows
/// (padded to a multiple of 8) and the heads' 1/Σp.
func attendQueryScratchFloats(heads G: Int, keys n: Int) -> Int {
  G * KernelBuffers.sparseScoreStride(maxSelected: n) + G
}

/// One query's exact softmax attention for the `heads` query heads of one kv group (rows of d
/// floats at q + h·d, already scaled by 1/√d_h) over the `count` rows `selected` of `keys` and
/// `values` (row stride d), written to output + h·d: the same score, softmax and P·V steps, in the
/// same order, as one query of `sparseAttention` (so a decode step's sparse core gives a prefill's
/// bits for the same selection); an empty selection gives NaN. `scratch` holds
/// `attendQueryScratchFloats(heads:keys:)` floats. Counts are the caller's
/// (`softmaxRowCounts` per head).
func attendQuery(
  _ q: UnsafePointer<Float>, heads G: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, headDim d: Int,
  selected: UnsafePointer<Int32>, count k: Int, scratch: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
) {
  guard k > 0 else {
    for x in 0..<(G * d) { output[x] = .nan }
    return
  }
  guard d % 8 == 0 else {
    for h in 0..<G {
      sparseHeadScalar(q + h * d, keys, values, ldkv: d, d: d, selected, k, scratch, output + h * d)
    }
    return
  }
  let scoreStride = KernelBuffers.sparseScoreStride(maxSelected: k)
  let inverses = scratch + G * scoreStride
  scoreRun(
    q, heads: G, keys: keys, headDim: d, selected: selected, count: k, next: selected, nextCount: 0, scores: scratch,
    scoreStride: scoreStride)
  softmaxRows(heads: G, count: k, scores: scratch, scoreStride: scoreStride, inverses: inverses)
  prefetchStream(values, headDim: d, selected, count: k, selected, nextCount: 0, from: 0)
  accumulateRun(
    heads: G, values: values, headDim: d, selected: selected, count: k, next: selected, nextCount: 0, weights: scratch,
    scoreStride: scoreStride, inverses: inverses, output: output)
}
