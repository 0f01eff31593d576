import Foundation

/// Inputs of the attention kernels, prepared by the layer.
struct AttentionInputs {
  /// Queries after RoPE, multiplied by 1/√d_h: `paddedRows × (H·d_h)`; rows ≥ L are zero.
  var queries: UnsafePointer<Float>
  /// Keys after RoPE, transposed and packed in key tiles (dense kernel): kv head g, tile τ of
  /// 64 keys is a contiguous d × 64 block at (g·keyStride/64 + τ)·d·64; element (x, c) at x·64 + c.
  /// (Packing avoids the L1 set conflicts of a d × L layout whose row stride is a large power of 2.)
  var keysT: UnsafePointer<Float>
  /// Values packed per kv head (dense kernel): head g's keyStride × d block at g·keyStride·d.
  var valuesByHead: UnsafePointer<Float>
  /// Keys after RoPE, row-major `keyStride × (H_kv·d_h)` (sparse kernel).
  var keys: UnsafePointer<Float>
  /// Values (after G2 when on), row-major `keyStride × (H_kv·d_h)`; rows ≥ L are zero.
  var values: UnsafePointer<Float>
  var keyStride: Int
  var heads: Int
  var kvHeads: Int
  var headDim: Int
}

/// Counts of the dense kernel for one online-softmax tile of R rows × C keys (see `denseAttention`).
@inline(__always) func denseTileCounts(rows R: Int, keys C: Int, headDim d: Int) -> FlopCounts {
  FlopCounts(flops: 4 * d * R * C + 2 * R * C + R * (d + 3), transcendentals: R * C + R, comparisons: R * C + R)
}

/// Exact-softmax counts of one query row over n keys (the `useful` dense count and the sparse
/// kernel's count): scores 2d·n, max n comparisons, n subtractions + n exps, n adds for the sum,
/// weighted values 2d·n, one reciprocal and d multiplies.
@inline(__always) func softmaxRowCounts(keys n: Int, headDim d: Int) -> FlopCounts {
  FlopCounts(flops: 4 * d * n + 2 * n + d, transcendentals: n + 1, comparisons: n)
}

/// Dense causal softmax attention, tiled online softmax (flash-style): for each head and group of
/// `denseRowGroup` (12) query rows, key tiles of `denseTileKeys` (64): S = Q·Kᵀ (6×16 register
/// micro-kernels over Kᵀ and the task's queries packed as 6-row panels), masked entries → −∞,
/// running max m, α = exp(m_old − m_new), P = exp(S − m_new), l ← l·α + ΣP, O ← O·α + P·V;
/// finally O/l. Memory O(L·d) (no L×L).
///
/// Precision: float32 storage; dot products and P·V accumulate in float32 FMAs (in order of the
/// head dimension and of the key tiles), the softmax max/sum are float32 with the online
/// rescaling; errors measured against the float64 reference are ~1e-6 relative at L ≤ 10^3.
///
/// Bytes (logical, `ByteCounts`): Q, K and V read once, O written once.
///
/// Counts (executed), per tile of R rows × C keys: 4·d·R·C + 2·R·C + R·(d + 3) flops, R·C + R
/// exps, R·C + R comparisons; per row group: R reciprocals and R·d multiplies. The R·(d + 3)
/// flops and R exps are the eager online softmax's rescale of every row on every tile: a closed
/// form, so `CostModel` predicts it exactly. The lazy kernel runs the rescale (and recomputes that
/// row's C numerators) only on tiles that move a row's reference max, which depends on the data:
/// those terms model that work rather than count it (a row spanning n tiles that re-bases once
/// is counted n exps there; the kernel ran C + 1).
func denseAttention(
  _ inputs: AttentionInputs, length L: Int, causal: Bool, tiling: KernelTiling, output: UnsafeMutablePointer<Float>,
  ledger: inout FlopLedger, workers: Int = kernelWorkerCount
) {
  let R = tiling.denseRowGroup, C = denseTileKeys
  precondition(R % 6 == 0 && tiling.denseKeyTile == C, "dense tiles need 6 | rows and \(denseTileKeys)-key tiles")
  let d = inputs.headDim
  let H = inputs.heads
  let group = H / inputs.kvHeads
  // Bytes: Q, K, V read once, O written once (the packed Kᵀ and V are layout copies).
  ledger.addBytes(.attention, ByteCounts(read: 4 * L * d * (H + 2 * inputs.kvHeads), written: 4 * L * H * d))
  let ldq = H * d
  let ldv = d
  let groups = (L + R - 1) / R
  let perTask = tiling.denseGroupsPerTask
  let blocks = (groups + perTask - 1) / perTask
  let pOut = SharedPointer(output)
  let box = UncheckedBox(inputs)
  let partial = parallelTasks(taskCount: H * blocks, workers: workers) { _, task, ledger in
    let inputs = box.value
    let h = task % H
    let blockIndex = task / H
    let g = h / group
    let kT = inputs.keysT + g * d * inputs.keyStride
    let vBase = inputs.valuesByHead + g * d * inputs.keyStride
    // Tile-major within a task: each Kᵀ/V tile is streamed once for all of the task's row groups
    // (their online-softmax states O, m, l stay resident), cutting L2/L3 traffic by
    // `denseGroupsPerTask`. Each group still sees exactly its own tiles 0 ..< keyEnd(g).
    let firstGroup = blockIndex * perTask
    let taskGroups = min(groups, firstGroup + perTask) - firstGroup
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: R * C)
    let probs = UnsafeMutablePointer<Float>.allocate(capacity: R * C)
    let accAll = UnsafeMutablePointer<Float>.allocate(capacity: taskGroups * R * d)
    let mAll = UnsafeMutablePointer<Float>.allocate(capacity: taskGroups * R)
    let lAll = UnsafeMutablePointer<Float>.allocate(capacity: taskGroups * R)
    let qPanels = UnsafeMutablePointer<Float>.allocate(capacity: taskGroups * R * d)
    defer {
      qPanels.deallocate()
      scores.deallocate()
      probs.deallocate()
      accAll.deallocate()
      mAll.deallocate()
      lAll.deallocate()
    }
    accAll.initialize(repeating: 0, count: taskGroups * R * d)
    mAll.initialize(repeating: -.infinity, count: taskGroups * R)
    lAll.initialize(repeating: 0, count: taskGroups * R)
    // The task's queries as 6-row panels (see `scoreTile6x16`): panel (group, block) element
    // (x, i) = Q[row 6·block + i][x].
    for local in 0..<taskGroups {
      for block in 0..<(R / 6) {
        let source = inputs.queries + ((firstGroup + local) * R + 6 * block) * ldq + h * d
        let panel = qPanels + (local * (R / 6) + block) * 6 * d
        for x in 0..<d {
          for i in 0..<6 { panel[6 * x + i] = source[i * ldq + x] }
        }
      }
    }
    func keyEnd(_ gi: Int) -> Int { causal ? roundUp(min(gi * R + R, L), C) : roundUp(L, C) }
    var counts = FlopCounts()
    let lastKey = keyEnd(firstGroup + taskGroups - 1)
    var c0 = 0
    while c0 < lastKey {
      for local in 0..<taskGroups where c0 < keyEnd(firstGroup + local) {
        let r0 = (firstGroup + local) * R
        let acc = accAll + local * R * d
        let m = mAll + local * R, l = lAll + local * R
        // S = Q·Kᵀ for the R × C tile.
        for block in 0..<(R / 6) {
          let panel = qPanels + (local * (R / 6) + block) * 6 * d
          for chunk in 0..<(C / 16) {
            scoreTile6x16(panel, kT + c0 * d + 16 * chunk, depth: d, scores + 6 * block * C + 16 * chunk)
          }
        }
        // Mask future keys and padding keys.
        if c0 + C > L || (causal && c0 + C - 1 > r0) {
          for r in 0..<R {
            let t = r0 + r
            let limit = causal ? min(t + 1, L) : L
            var s = max(limit - c0, 0)
            while s < C {
              scores[r * C + s] = -.infinity
              s += 1
            }
          }
        }
        // Online softmax with lazy rescaling: the row's reference max m changes only when a tile's
        // max exceeds it by more than `lazyRescaleMargin` (then O, l are rescaled by α = e^{m_old − m_new});
        // otherwise P = e^{S − m} ≤ e^{margin} with the old m (softmax is shift-invariant: O/l is the
        // same, and l ≤ e^{margin}·L cannot overflow). P = 2^{(S − m)·log2e}. One pass computes P
        // with the current m and the tile max together; the rare tile that moves m (the row's first
        // tile, or a max jump beyond the margin) recomputes P from the unchanged S.
        for r in 0..<R {
          let row = scores + r * C
          var (tileMax, sum) = exponentiateRow(row, keys: C, shift: m[r], into: probs + r * C)
          if tileMax > m[r] + lazyRescaleMargin {
            // m = −∞ (first tile of the row): α = 0 (O = 0, l = 0 so far).
            let alpha = m[r] == -.infinity ? 0 : Foundation.exp(m[r] - tileMax)
            m[r] = tileMax
            l[r] *= alpha
            let a = SIMD8<Float>(repeating: alpha)
            var x = 0
            while x + 8 <= d {
              storeV(loadV(acc + r * d + x) * a, acc + r * d + x)
              x += 8
            }
            while x < d {
              acc[r * d + x] *= alpha
              x += 1
            }
            (tileMax, sum) = exponentiateRow(row, keys: C, shift: tileMax, into: probs + r * C)
          }
          l[r] += sum
        }
        // O += P·V.
        if d % 16 == 0 {
          accumulatePVTile(probs, rows: R, vBase + c0 * ldv, depth: d, acc)
        } else {
          accumulatePV(probs, ldp: C, rows: R, keys: C, vBase + c0 * ldv, ldv: ldv, depth: d, acc)
        }
        counts += denseTileCounts(rows: R, keys: C, headDim: d)
      }
      c0 += C
    }
    for local in 0..<taskGroups {
      let r0 = (firstGroup + local) * R
      for r in 0..<R where r0 + r < L {
        let inv = 1 / lAll[local * R + r]
        let out = pOut.base + (r0 + r) * ldq + h * d
        let acc = accAll + local * R * d
        for x in 0..<d { out[x] = acc[r * d + x] * inv }
      }
      counts += FlopCounts(flops: R * d, transcendentals: R)
    }
    ledger.addExecuted(.attention, counts)
  }
  ledger += partial
  var useful = FlopCounts()
  for t in 0..<L { useful += softmaxRowCounts(keys: causal ? t + 1 : L, headDim: d) }
  ledger.addUseful(.attention, useful.times(H))
}

/// log2 e, for e^x = 2^{x·log2 e}.
let log2e: Float = 1.442_695_04
/// The online softmax re-bases a row's max only when a tile exceeds it by more than this (natural
/// units): P ≤ e^8 ≈ 2981, so l = ΣP stays far from float32 overflow for any L ≤ 10^30.
let lazyRescaleMargin: Float = 8

/// Softmax numerators of one tile row: P = 2^{(S − shift)·log₂e} for its `keys` scores S (a
/// multiple of 8; masked ones −∞, giving P = 0) written to `p`; returns max S and ΣP. A shift of −∞ (a row with
/// no unmasked key so far) is taken as 0: P is then a placeholder that the caller recomputes after
/// re-basing the row on the returned max. (S − shift)·log₂e rather than an FMA with −shift·log₂e,
/// which overflows for |shift| > 2.3e38.
@_transparent
func exponentiateRow(
  _ scores: UnsafePointer<Float>, keys: Int, shift: Float, into p: UnsafeMutablePointer<Float>
) -> (max: Float, sum: Float) {
  let base = SIMD8<Float>(repeating: shift == -.infinity ? 0 : shift)
  let scale = SIMD8<Float>(repeating: log2e)
  var mx = SIMD8<Float>(repeating: -.infinity)
  var sum = SIMD8<Float>()
  for v in 0..<(keys / 8) {
    let x = loadV(scores + 8 * v)
    mx = mx.replacing(with: x, where: x .> mx)
    let e = exp2SoftmaxV((x - base) * scale)
    storeV(e, p + 8 * v)
    sum += e
  }
  return (horizontalMax(mx), horizontalSum(sum))
}

/// Keys per dense tile. A constant, so the micro-kernels' strides are immediate offsets: with
/// run-time strides the loops spent 8 integer instructions per 12 FMAs on addresses.
let denseTileKeys = 64

/// S[i][c] = Σ_x q[i][x]·kT[x][c] for 6 query rows × 16 keys. `qPanel` holds the 6 rows
/// interleaved (element (x, i) at 6·x + i, so each step broadcasts 6 adjacent floats); Kᵀ and
/// `out` have row stride `denseTileKeys`.
@inline(__always)
func scoreTile6x16(
  _ qPanel: UnsafePointer<Float>, _ kT: UnsafePointer<Float>, depth: Int, _ out: UnsafeMutablePointer<Float>
) {
  multiplyAccumulate6x16(
    qPanel, aRow: 1, aStep: 6, kT, bStep: denseTileKeys, count: depth, out, ldc: denseTileKeys, accumulate: false)
}

/// acc[r][x] += Σ_c p[r][c]·v[c][x] for one dense tile: `rows` (a multiple of 6) rows of P with row
/// stride `denseTileKeys` over `denseTileKeys` keys, V rows of `d` floats (16 | d), in 6 × 16
/// register tiles.
@inline(__always)
func accumulatePVTile(
  _ p: UnsafePointer<Float>, rows: Int, _ v: UnsafePointer<Float>, depth d: Int, _ acc: UnsafeMutablePointer<Float>
) {
  var r = 0
  while r + 6 <= rows {
    var x = 0
    while x + 16 <= d {
      multiplyAccumulate6x16(
        p + r * denseTileKeys, aRow: denseTileKeys, aStep: 1, v + x, bStep: d, count: denseTileKeys, acc + r * d + x,
        ldc: d, accumulate: true)
      x += 16
    }
    r += 6
  }
}

/// acc[r][x] += Σ_c p[r][c]·v[c][x] for head dimensions not a multiple of 16 (`accumulatePVTile`
/// takes the others): 2 × 32 register tiles, then 8-wide and scalar tails.
@inline(__always)
func accumulatePV(
  _ p: UnsafePointer<Float>, ldp: Int, rows: Int, keys: Int, _ v: UnsafePointer<Float>, ldv: Int, depth d: Int,
  _ acc: UnsafeMutablePointer<Float>
) {
  var r = 0
  while r + 2 <= rows {
    var x = 0
    while x + 32 <= d {
      let o0 = acc + r * d + x, o1 = o0 + d
      var a0 = loadV(o0), a1 = loadV(o0 + 8), a2 = loadV(o0 + 16), a3 = loadV(o0 + 24)
      var b0 = loadV(o1), b1 = loadV(o1 + 8), b2 = loadV(o1 + 16), b3 = loadV(o1 + 24)
      let p0 = p + r * ldp, p1 = p0 + ldp
      var vp = v + x
      for c in 0..<keys {
        let v0 = loadV(vp), v1 = loadV(vp + 8), v2 = loadV(vp + 16), v3 = loadV(vp + 24)
        let s0 = SIMD8<Float>(repeating: p0[c]), s1 = SIMD8<Float>(repeating: p1[c])
        a0 = a0.addingProduct(s0, v0); a1 = a1.addingProduct(s0, v1); a2 = a2.addingProduct(s0, v2); a3 = a3.addingProduct(s0, v3)
        b0 = b0.addingProduct(s1, v0); b1 = b1.addingProduct(s1, v1); b2 = b2.addingProduct(s1, v2); b3 = b3.addingProduct(s1, v3)
        vp += ldv
      }
      storeV(a0, o0); storeV(a1, o0 + 8); storeV(a2, o0 + 16); storeV(a3, o0 + 24)
      storeV(b0, o1); storeV(b1, o1 + 8); storeV(b2, o1 + 16); storeV(b3, o1 + 24)
      x += 32
    }
    accumulatePVTail(p, ldp: ldp, rows: r..<(r + 2), keys: keys, v, ldv: ldv, depth: d, from: x, acc)
    r += 2
  }
  if r < rows { accumulatePVTail(p, ldp: ldp, rows: r..<rows, keys: keys, v, ldv: ldv, depth: d, from: 0, acc) }
}

@inline(__always)
private func accumulatePVTail(
  _ p: UnsafePointer<Float>, ldp: Int, rows: Range<Int>, keys: Int, _ v: UnsafePointer<Float>, ldv: Int, depth d: Int,
  from start: Int, _ acc: UnsafeMutablePointer<Float>
) {
  for r in rows {
    var x = start
    while x + 8 <= d {
      var a = loadV(acc + r * d + x)
      for c in 0..<keys { a = a.addingProduct(SIMD8<Float>(repeating: p[r * ldp + c]), loadV(v + c * ldv + x)) }
      storeV(a, acc + r * d + x)
      x += 8
    }
    while x < d {
      var a = acc[r * d + x]
      for c in 0..<keys { a = a.addingProduct(p[r * ldp + c], v[c * ldv + x]) }
      acc[r * d + x] = a
      x += 1
    }
  }
}
