import Foundation

/// Sparse softmax attention over each query's selected keys S_t (shared by all heads):
/// A_{t,s} = softmax_{s∈S_t}(q_t·k_s) (q already scaled by 1/√d_h), O_t = Σ A_{t,s} v'_s.
/// Exact two-pass softmax per (query, head): scores into a k_t buffer, max, exp, sum, weighted
/// values, one reciprocal. Gathers key/value rows by index (ascending). float32 storage and
/// accumulation (dot products in 8-lane partial sums, reduced at the end).
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
      let scores = UnsafeMutablePointer<Float>.allocate(capacity: roundUp(max(maxK, 1), 8))
      let acc = UnsafeMutablePointer<Float>.allocate(capacity: d)
      defer {
        scores.deallocate()
        acc.deallocate()
      }
      var flopCounts = FlopCounts()
      for t in (task * block)..<min(L, task * block + block) {
        let k = counts[t]
        let sel = pIdx.base + offsets[t]
        for h in 0..<H {
          let g = h / group
          let q = inputs.queries + t * ldq + h * d
          var mx = -Float.infinity
          for i in 0..<k {
            let key = inputs.keys + Int(sel[i]) * ldv + g * d
            var partial = SIMD8<Float>()
            var x = 0
            while x + 8 <= d {
              partial = partial.addingProduct(loadV(q + x), loadV(key + x))
              x += 8
            }
            var s = partial.sum()
            while x < d {
              s = s.addingProduct(q[x], key[x])
              x += 1
            }
            scores[i] = s
            mx = Swift.max(mx, s)
          }
          let shift = SIMD8<Float>(repeating: mx)
          var sumV = SIMD8<Float>()
          var i = 0
          while i + 8 <= k {
            let p = expV(loadV(scores + i) - shift)
            storeV(p, scores + i)
            sumV += p
            i += 8
          }
          var sum = sumV.sum()
          while i < k {
            let p = Foundation.exp(scores[i] - mx)
            scores[i] = p
            sum += p
            i += 1
          }
          acc.initialize(repeating: 0, count: d)
          for i in 0..<k {
            let value = inputs.values + Int(sel[i]) * ldv + g * d
            let p = SIMD8<Float>(repeating: scores[i])
            var x = 0
            while x + 8 <= d {
              storeV(loadV(acc + x).addingProduct(p, loadV(value + x)), acc + x)
              x += 8
            }
            while x < d {
              acc[x] = acc[x].addingProduct(scores[i], value[x])
              x += 1
            }
          }
          let inv = 1 / sum
          let out = pOut.base + t * ldq + h * d
          for x in 0..<d { out[x] = acc[x] * inv }
          flopCounts += softmaxRowCounts(keys: k, headDim: d)
        }
      }
      ledger.add(.attention, flopCounts)
    }
  }
  ledger += partial
}
