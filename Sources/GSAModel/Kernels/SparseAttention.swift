import Foundation

/// Sparse softmax attention over each query's selected keys S_t (shared by all heads):
/// A_{t,s} = softmax_{s∈S_t}(q_t·k_s) (q already scaled by 1/√d_h), O_t = Σ A_{t,s} v'_s.
/// Exact two-pass softmax per (query, head): scores into a k_t buffer, max, exp, sum, weighted
/// values, one reciprocal. Gathers key/value rows by index (ascending); the H/H_kv query heads
/// of a kv head share each gathered row. float32 storage and accumulation (dot products in
/// 8-lane partial sums, reduced at the end).
///
/// Counts per (query, head) with k = k_t: `softmaxRowCounts(keys: k, headDim: d)`;
/// useful = executed (no padding).
func sparseAttention(
  _ inputs: AttentionInputs, selection: SelectionSets, length L: Int, output: UnsafeMutablePointer<Float>,
  ledger: inout FlopLedger
) {
  let d = inputs.headDim
  let H = inputs.heads
  let group = H / inputs.kvHeads
  let ldq = H * d
  let ldv = inputs.kvHeads * d
  let block = 16
  let pOut = SharedPointer(output)
  let box = UncheckedBox(inputs)
  let maxK = selection.counts.max() ?? 0
  let partial = selection.indices.withUnsafeBufferPointer { idxBuf in
    let pIdx = SharedConstPointer(idxBuf.baseAddress ?? UnsafePointer(bitPattern: 8)!)
    let offsets = selection.offsets
    let counts = selection.counts
    return parallelTasks(taskCount: (L + block - 1) / block) { _, task, ledger in
      let inputs = box.value
      let stride = roundUp(max(maxK, 1), 8)
      let scores = UnsafeMutablePointer<Float>.allocate(capacity: group * stride)
      let acc = UnsafeMutablePointer<Float>.allocate(capacity: group * d)
      let sums = UnsafeMutablePointer<Float>.allocate(capacity: group)
      let packed = UnsafeMutablePointer<Float>.allocate(capacity: max(maxK, 1) * d)
      let packedKeys = UnsafeMutablePointer<Float>.allocate(capacity: max(maxK, 1) * d)
      defer {
        packed.deallocate()
        packedKeys.deallocate()
        scores.deallocate()
        acc.deallocate()
        sums.deallocate()
      }
      var flopCounts = FlopCounts()
      for t in (task * block)..<min(L, task * block + block) {
        let k = counts[t]
        let sel = pIdx.base + offsets[t]
        for g in 0..<inputs.kvHeads {
          // The `group` query heads of kv head g share each gathered key/value row.
          let h0 = g * group
          let qBase = inputs.queries + t * ldq + h0 * d
          // Gather the selected key and value rows into packed k × d blocks first: a tight loop of
          // independent row copies keeps many cache misses in flight (the scattered rows are the
          // kernel's main cost), after which the scores and P·V read L1/L2-resident blocks.
          let gK = inputs.keys + g * d, gV = inputs.values + g * d
          if d % 8 == 0 {
            for i in 0..<k {
              let row = Int(sel[i]) * ldv
              let kSrc = gK + row, vSrc = gV + row
              let kDst = packedKeys + i * d, vDst = packed + i * d
              var x = 0
              while x < d {
                storeV(loadV(kSrc + x), kDst + x)
                storeV(loadV(vSrc + x), vDst + x)
                x += 8
              }
            }
          } else {
            for i in 0..<k {
              (packedKeys + i * d).update(from: gK + Int(sel[i]) * ldv, count: d)
              (packed + i * d).update(from: gV + Int(sel[i]) * ldv, count: d)
            }
          }
          // Scores s[hh][i] = q_{h0+hh} · k_{sel[i]}.
          for i in 0..<k {
            let key = UnsafePointer(packedKeys + i * d)
            for hh in 0..<group {
              let q = qBase + hh * d
              // Two accumulators (shorter FMA chains), then a log-depth horizontal sum.
              var even = SIMD8<Float>(), odd = SIMD8<Float>()
              var x = 0
              while x + 16 <= d {
                even = even.addingProduct(loadV(q + x), loadV(key + x))
                odd = odd.addingProduct(loadV(q + x + 8), loadV(key + x + 8))
                x += 16
              }
              if x + 8 <= d {
                even = even.addingProduct(loadV(q + x), loadV(key + x))
                x += 8
              }
              var s = horizontalSum(even + odd)
              while x < d {
                s = s.addingProduct(q[x], key[x])
                x += 1
              }
              scores[hh * stride + i] = s
            }
          }
          // Softmax per head: max, exp, sum.
          for hh in 0..<group {
            let row = scores + hh * stride
            var mxV = SIMD8<Float>(repeating: -.infinity)
            var j = 0
            while j + 8 <= k {
              let x = loadV(row + j)
              mxV = mxV.replacing(with: x, where: x .> mxV)
              j += 8
            }
            var mx = horizontalMax(mxV)
            while j < k {
              mx = Swift.max(mx, row[j])
              j += 1
            }
            let shift = SIMD8<Float>(repeating: mx)
            var sumV = SIMD8<Float>()
            var i = 0
            while i + 8 <= k {
              let p = expV(loadV(row + i) - shift)
              storeV(p, row + i)
              sumV += p
              i += 8
            }
            var sum = horizontalSum(sumV)
            while i < k {
              let p = Foundation.exp(row[i] - mx)
              row[i] = p
              sum += p
              i += 1
            }
            sums[hh] = sum
          }
          // acc[hh] = Σ_i p[hh][i]·v_{sel[i]} from the packed value block: the register-tiled P·V
          // kernel (rows = the group's heads).
          acc.initialize(repeating: 0, count: group * d)
          accumulatePV(scores, ldp: stride, rows: group, keys: k, packed, ldv: d, depth: d, acc)
          for hh in 0..<group {
            let inv = 1 / sums[hh]
            let out = pOut.base + t * ldq + (h0 + hh) * d
            for x in 0..<d { out[x] = acc[hh * d + x] * inv }
            flopCounts += softmaxRowCounts(keys: k, headDim: d)
          }
        }
      }
      ledger.add(.attention, flopCounts)
    }
  }
  ledger += partial
}

/// Σ of the 8 lanes by halving (3 dependent adds).
@inline(__always) func horizontalSum(_ v: SIMD8<Float>) -> Float {
  let four = v.lowHalf + v.highHalf
  let two = four.lowHalf + four.highHalf
  return two[0] + two[1]
}
