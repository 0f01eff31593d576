import CKernelSupport

/// The dense decode core: one query per (sequence, kv group) against every cached row, as two
/// sequential streams (K, V) in blocks with an online softmax, split over the rows into parts
/// whose partial states are combined exactly (flash-decoding).
///
/// For the G = H/H_kv query heads q_h of a kv group (already scaled by 1/√d_h) and the rows
/// 0 ..< n of its contiguous K and V blocks (row s at s·d_h):
///   O_h = Σ_s e^{q_h·k_s − m_h} v_s / Σ_s e^{q_h·k_s − m_h},  m_h = max_s q_h·k_s.
///
/// Part p covers rows [p·R, min(n, (p + 1)·R)) (R = `splitRows`, a fixed row count, so the parts
/// and the result do not depend on the number of workers). Within a part, blocks of b rows
/// (`blockRows`): the G × b scores (G = 4: two rows × four heads per step, each K load serving the
/// four heads; other G: 8 rows at a time, 8 independent dot products per head; on rows in L1, then
/// a transpose-add), the block max m_blk; when it exceeds the running max m, the
/// accumulator and the running sum are rescaled by e^{m − m_blk} (eager, exact); p = e^{s − m}
/// in place, l += Σp; acc_h += Σ_j p_{h,j} v_j (64 columns in 8 register accumulators per pass).
/// A part's state is (acc_h, m_h, l_h) per head. Combine (in part order):
///   M = max_p m_p, O_h = Σ_p e^{m_p − M} acc_p / Σ_p e^{m_p − M} l_p.
/// float32 storage and accumulation; exp is `expV`.
///
/// Counts are the caller's: `softmaxRowCounts(keys: n, headDim: d)` per head, the single-pass
/// softmax's, as for the index-list core it replaced (the rescales and the combine, at most
/// (n/b + n/R)·(d + 2) operations per head, are not counted). Bytes: the K and V rows once.
enum DenseDecode {
  /// Rows per online-softmax block: the G × 64 scores (1 KiB at G = 4) and the 16 KiB K and V
  /// blocks stay in L1.
  static let blockRows = 64
  /// Rows per part (split-K): 8192 rows of d_h = 64 are 2 MiB of K and 2 MiB of V.
  static let splitRows = 8192

  /// Parts of n rows.
  static func parts(rows n: Int, splitRows: Int = splitRows) -> Int { max(1, (n + splitRows - 1) / splitRows) }

  /// Floats of one part's state for G heads of d: the G·d accumulator, then G maxima, G sums.
  static func partialFloats(heads G: Int, headDim d: Int) -> Int { G * (d + 2) }

  /// Floats of one worker's block scratch (the block's scores).
  static func scratchFloats(heads G: Int, blockRows: Int = blockRows) -> Int { G * roundUp(blockRows, 8) }
}

/// One part of the dense decode core (see `DenseDecode`): rows 0 ..< n of `keys` and `values`
/// (row stride d) for the G heads of `q` (rows of d floats at q + h·d), into `partial`
/// (`DenseDecode.partialFloats` floats: acc, maxima, sums). `scores` holds
/// `DenseDecode.scratchFloats(heads:blockRows:)` floats. `prefetchRows` > 0 adds software prefetch
/// hints that many rows ahead on both streams (measured slower; kept for the probe); `groupBlocked`
/// false takes the one-head-at-a-time score path at G = 4 too (the probe's comparison).
func denseDecodePart(
  _ q: UnsafePointer<Float>, heads G: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, headDim d: Int,
  rows n: Int, blockRows: Int = DenseDecode.blockRows, prefetchRows: Int = 0, groupBlocked: Bool = true,
  scores: UnsafeMutablePointer<Float>,
  partial: UnsafeMutablePointer<Float>
) {
  let acc = partial, maxima = partial + G * d, sums = maxima + G
  acc.initialize(repeating: 0, count: G * d)
  maxima.initialize(repeating: -.infinity, count: G)
  sums.initialize(repeating: 0, count: G)
  let stride = roundUp(blockRows, 8)
  var s0 = 0
  while s0 < n {
    let rows = min(blockRows, n - s0)
    let kb = keys + s0 * d, vb = values + s0 * d
    if prefetchRows > 0 {
      let ahead = s0 + prefetchRows
      if ahead < n {
        let m = min(rows, n - ahead)
        prefetchLines(keys + ahead * d, floats: m * d)
        prefetchLines(values + ahead * d, floats: m * d)
      }
    }
    if groupBlocked && G == 4 && d == 64 {
      // The paper shape's d_h as a literal: the x loop unrolls fully.
      decodeBlockScoresFourHeads(q, keys: kb, headDim: 64, rows: rows, scores: scores, stride: stride)
    } else if groupBlocked && G == 4 && d % 8 == 0 {
      decodeBlockScoresFourHeads(q, keys: kb, headDim: d, rows: rows, scores: scores, stride: stride)
    } else if d % 8 == 0 {
      decodeBlockScores(q, heads: G, keys: kb, headDim: d, rows: rows, scores: scores, stride: stride)
    } else {
      for h in 0..<G {
        for j in 0..<rows {
          var s: Float = 0
          for x in 0..<d { s = s.addingProduct(q[h * d + x], kb[j * d + x]) }
          scores[h * stride + j] = s
        }
      }
    }
    let padded = roundUp(rows, 8)
    for h in 0..<G {
      let row = scores + h * stride
      for j in rows..<padded { row[j] = -.infinity }
      var mx = SIMD8<Float>(repeating: -.infinity)
      var i = 0
      while i < padded {
        let s = loadV(row + i)
        mx = mx.replacing(with: s, where: s .> mx)
        i += 8
      }
      let blockMax = horizontalMax(mx)
      let old = maxima[h]
      if blockMax > old {
        maxima[h] = blockMax
        if old > -.infinity {
          let alpha = expV(SIMD8<Float>(repeating: old - blockMax))[0]
          sums[h] *= alpha
          for x in 0..<d { acc[h * d + x] *= alpha }
        }
      }
      let shift = SIMD8<Float>(repeating: maxima[h])
      var sumV = SIMD8<Float>()
      i = 0
      while i < padded {
        let p = expV(loadV(row + i) - shift)
        storeV(p, row + i)
        sumV += p
        i += 8
      }
      sums[h] += horizontalSum(sumV)
    }
    for h in 0..<G {
      decodeBlockAccumulate(
        weights: scores + h * stride, values: vb, headDim: d, rows: rows, output: acc + h * d)
    }
    s0 += rows
  }
}

/// Combines `count` part states (`partial` + p·`partialStride`, in part order) of G heads into
/// O_h = Σ_p e^{m_p − M} acc_p / Σ_p e^{m_p − M} l_p (M = max_p m_p), written to output + h·d.
func combineDenseDecodeParts(
  _ partials: UnsafePointer<Float>, count P: Int, partialStride: Int, heads G: Int, headDim d: Int,
  output: UnsafeMutablePointer<Float>
) {
  for h in 0..<G {
    var M = -Float.infinity
    for p in 0..<P { M = max(M, partials[p * partialStride + G * d + h]) }
    let out = output + h * d
    out.initialize(repeating: 0, count: d)
    var l: Float = 0
    for p in 0..<P {
      let base = partials + p * partialStride
      let w = expV(SIMD8<Float>(repeating: base[G * d + h] - M))[0]
      l = l.addingProduct(w, base[G * d + G + h])
      for x in 0..<d { out[x] = out[x].addingProduct(w, base[h * d + x]) }
    }
    let inverse = 1 / l
    for x in 0..<d { out[x] *= inverse }
  }
}

/// Scores of `rows` contiguous key rows (d a multiple of 8) for G heads: scores + h·stride + j.
@inline(__always)
private func decodeBlockScores(
  _ q: UnsafePointer<Float>, heads G: Int, keys kb: UnsafePointer<Float>, headDim d: Int, rows: Int,
  scores: UnsafeMutablePointer<Float>, stride: Int
) {
  var i = 0
  while i + 8 <= rows {
    let r0 = kb + i * d
    let r1 = r0 + d, r2 = r0 + 2 * d, r3 = r0 + 3 * d, r4 = r0 + 4 * d, r5 = r0 + 5 * d, r6 = r0 + 6 * d, r7 = r0 + 7 * d
    for h in 0..<G {
      let qh = q + h * d
      var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
      var a4 = SIMD8<Float>(), a5 = SIMD8<Float>(), a6 = SIMD8<Float>(), a7 = SIMD8<Float>()
      var x = 0
      while x < d {
        let qv = loadV(qh + x)
        a0 = a0.addingProduct(qv, loadV(r0 + x))
        a1 = a1.addingProduct(qv, loadV(r1 + x))
        a2 = a2.addingProduct(qv, loadV(r2 + x))
        a3 = a3.addingProduct(qv, loadV(r3 + x))
        a4 = a4.addingProduct(qv, loadV(r4 + x))
        a5 = a5.addingProduct(qv, loadV(r5 + x))
        a6 = a6.addingProduct(qv, loadV(r6 + x))
        a7 = a7.addingProduct(qv, loadV(r7 + x))
        x += 8
      }
      storeV(laneSums(a0, a1, a2, a3, a4, a5, a6, a7), scores + h * stride + i)
    }
    i += 8
  }
  while i < rows {
    scoreOneRow(q, heads: G, row: kb + i * d, headDim: d, scores: scores + i, stride: stride)
    i += 1
  }
}

/// `decodeBlockScores` for G = 4 (the paper shape's group), register-blocked over the heads: two
/// rows × four heads in 8 accumulators, so each K load serves four heads (6 loads per 8 FMAs,
/// against 9 per 8 with one head at a time). Each score's operations and their order are
/// `decodeBlockScores`'s (8-lane FMA chains over x, then `laneSums`), so the scores are its bits.
@inline(__always)
private func decodeBlockScoresFourHeads(
  _ q: UnsafePointer<Float>, keys kb: UnsafePointer<Float>, headDim d: Int, rows: Int, scores: UnsafeMutablePointer<Float>,
  stride: Int
) {
  let q0 = q, q1 = q + d, q2 = q + 2 * d, q3 = q + 3 * d
  var i = 0
  while i + 2 <= rows {
    let r0 = kb + i * d, r1 = r0 + d
    var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
    var a20 = SIMD8<Float>(), a21 = SIMD8<Float>(), a30 = SIMD8<Float>(), a31 = SIMD8<Float>()
    var x = 0
    while x < d {
      let k0 = loadV(r0 + x), k1 = loadV(r1 + x)
      let h0 = loadV(q0 + x), h1 = loadV(q1 + x), h2 = loadV(q2 + x), h3 = loadV(q3 + x)
      a00 = a00.addingProduct(h0, k0)
      a01 = a01.addingProduct(h0, k1)
      a10 = a10.addingProduct(h1, k0)
      a11 = a11.addingProduct(h1, k1)
      a20 = a20.addingProduct(h2, k0)
      a21 = a21.addingProduct(h2, k1)
      a30 = a30.addingProduct(h3, k0)
      a31 = a31.addingProduct(h3, k1)
      x &+= 8
    }
    let s = laneSums(a00, a01, a10, a11, a20, a21, a30, a31)
    let out = scores + i
    out[0] = s[0]
    out[1] = s[1]
    out[stride] = s[2]
    out[stride + 1] = s[3]
    out[2 * stride] = s[4]
    out[2 * stride + 1] = s[5]
    out[3 * stride] = s[6]
    out[3 * stride + 1] = s[7]
    i &+= 2
  }
  if i < rows { scoreOneRow(q, heads: 4, row: kb + i * d, headDim: d, scores: scores + i, stride: stride) }
}

/// output[x] += Σ_j weights[j]·values[j·d + x] over `rows` contiguous value rows: 64 columns per
/// pass in 8 register accumulators, the remainder 8 columns at a time (any d; a scalar tail when d
/// is not a multiple of 8).
@inline(__always)
private func decodeBlockAccumulate(
  weights p: UnsafePointer<Float>, values vb: UnsafePointer<Float>, headDim d: Int, rows: Int,
  output o: UnsafeMutablePointer<Float>
) {
  var x0 = 0
  while x0 + 64 <= d {
    var o0 = loadV(o + x0), o1 = loadV(o + x0 + 8), o2 = loadV(o + x0 + 16), o3 = loadV(o + x0 + 24)
    var o4 = loadV(o + x0 + 32), o5 = loadV(o + x0 + 40), o6 = loadV(o + x0 + 48), o7 = loadV(o + x0 + 56)
    var v = vb + x0
    for j in 0..<rows {
      let pj = SIMD8<Float>(repeating: p[j])
      o0 = o0.addingProduct(pj, loadV(v))
      o1 = o1.addingProduct(pj, loadV(v + 8))
      o2 = o2.addingProduct(pj, loadV(v + 16))
      o3 = o3.addingProduct(pj, loadV(v + 24))
      o4 = o4.addingProduct(pj, loadV(v + 32))
      o5 = o5.addingProduct(pj, loadV(v + 40))
      o6 = o6.addingProduct(pj, loadV(v + 48))
      o7 = o7.addingProduct(pj, loadV(v + 56))
      v += d
    }
    storeV(o0, o + x0)
    storeV(o1, o + x0 + 8)
    storeV(o2, o + x0 + 16)
    storeV(o3, o + x0 + 24)
    storeV(o4, o + x0 + 32)
    storeV(o5, o + x0 + 40)
    storeV(o6, o + x0 + 48)
    storeV(o7, o + x0 + 56)
    x0 += 64
  }
  while x0 + 8 <= d {
    var e0 = loadV(o + x0), e1 = SIMD8<Float>()
    var j = 0
    while j + 2 <= rows {
      e0 = e0.addingProduct(SIMD8(repeating: p[j]), loadV(vb + j * d + x0))
      e1 = e1.addingProduct(SIMD8(repeating: p[j + 1]), loadV(vb + (j + 1) * d + x0))
      j += 2
    }
    if j < rows { e0 = e0.addingProduct(SIMD8(repeating: p[j]), loadV(vb + j * d + x0)) }
    storeV(e0 + e1, o + x0)
    x0 += 8
  }
  while x0 < d {
    var s = o[x0]
    for j in 0..<rows { s = s.addingProduct(p[j], vb[j * d + x0]) }
    o[x0] = s
    x0 += 1
  }
}

/// Prefetch hints for every cache line of `floats` consecutive floats.
@inline(__always) private func prefetchLines(_ p: UnsafePointer<Float>, floats: Int) {
  var offset = 0
  while offset < floats {
    gsa_prefetch(p + offset)
    offset += 16
  }
}
