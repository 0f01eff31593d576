import CKernelSupport
import Foundation

/// Vectorised exp and logistic sigmoid on `SIMD8<Float>`, and stable scalar versions.
///
/// Mathematical properties:
/// - `expV(x)` is exactly 0 for x < −87.3 (so exp(−∞) = 0: masked entries contribute nothing)
///   and clamps x at 88.3 (exp(+∞) ≈ 2.2e38, finite); otherwise range reduction x = n·ln2 + r with
///   |r| ≤ ln2/2 (ln2 split in two parts), Cephes degree-6 polynomial, scaling by 2^n through the
///   exponent bits. Relative error ≤ 2 ulp on the unclamped range.
/// - `sigmoidV(x) = 1/(1 + expV(−x))` lies in [0, 1] for every finite or infinite x (never NaN
///   unless x is NaN); σ(x) ≥ 1 − 1e−38 for x ≥ 88, ≤ 1.2e−38 for x ≤ −88.
/// exp on the clamped range [−87.3, 88.3] without the exact-zero tail: the shared core of `expV`
/// and `sigmoidV`. `@_transparent` so that it is always inlined (with `@inline(__always)` the
/// optimiser kept an out-of-line call whose argument/return split into 128-bit halves and whose
/// constants were re-broadcast on every call: 11% of the dense kernel's time).
@_transparent @usableFromInline
func expClampedV(_ input: SIMD8<Float>) -> SIMD8<Float> {
  // vminps/vmaxps: x ∈ [−87.3, 88.3] (NaN stays NaN through the compare-and-replace).
  var x = input.replacing(with: 88.3, where: input .> 88.3)
  x = x.replacing(with: -87.3, where: x .< -87.3)
  // Cody–Waite: n = round(x·log2 e) by the 1.5·2^23 trick, r = x − n·ln2 with ln2 in two parts.
  let magic = SIMD8<Float>(repeating: 12_582_912)
  let t = magic.addingProduct(x, SIMD8<Float>(repeating: 1.442_695_04))
  let n = t - magic
  var r = x.addingProduct(n, SIMD8<Float>(repeating: -0.693_359_375))
  r = r.addingProduct(n, SIMD8<Float>(repeating: 2.121_944_4e-4))
  // Cephes expf polynomial: e^r ≈ 1 + r + r²·P(r), |r| ≤ ln2/2.
  var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
  p = SIMD8<Float>(repeating: 1.398_199_95e-3).addingProduct(p, r)
  p = SIMD8<Float>(repeating: 8.333_451_9e-3).addingProduct(p, r)
  p = SIMD8<Float>(repeating: 4.166_579_6e-2).addingProduct(p, r)
  p = SIMD8<Float>(repeating: 1.666_666_55e-1).addingProduct(p, r)
  p = SIMD8<Float>(repeating: 5.000_000_1e-1).addingProduct(p, r)
  p = (r + 1).addingProduct(p, r * r)
  // 2^n from the exponent bits (n ∈ [−126, 128) after the clamp: a normal float).
  let tBits = unsafeBitCast(t, to: SIMD8<UInt32>.self)
  let scaleBits = (tBits &- SIMD8<UInt32>(repeating: 0x4B40_0000 - 127)) &<< 23
  return p * unsafeBitCast(scaleBits, to: SIMD8<Float>.self)
}

/// 2^y for softmax arguments y ≤ 12 (y = (s − m)·log2 e with s − m ≤ the lazy-rescale margin):
/// n = round(y), r = y − n ∈ [−½, ½] (exact), 2^r by its degree-6 Taylor polynomial
/// (coefficients (ln 2)^j / j!, truncation ≤ 1.2e−7 relative), 2^n added to the exponent bits.
/// Exactly 0 for y < −125 (so 2^−∞ = 0 for masked keys); NaN stays NaN.
@_transparent @usableFromInline
func exp2SoftmaxV(_ y: SIMD8<Float>) -> SIMD8<Float> {
  let x = y.replacing(with: -125, where: y .< -125)
  let magic = SIMD8<Float>(repeating: 12_582_912)
  let t = magic + x
  let n = t - magic
  let r = x - n
  var p = SIMD8<Float>(repeating: 1.540_353_0e-4)
  p = SIMD8<Float>(repeating: 1.333_355_8e-3).addingProduct(p, r)
  p = SIMD8<Float>(repeating: 9.618_129_1e-3).addingProduct(p, r)
  p = SIMD8<Float>(repeating: 5.550_410_9e-2).addingProduct(p, r)
  p = SIMD8<Float>(repeating: 2.402_265_1e-1).addingProduct(p, r)
  p = SIMD8<Float>(repeating: 6.931_471_8e-1).addingProduct(p, r)
  p = SIMD8<Float>(repeating: 1).addingProduct(p, r)
  // n = t's low mantissa bits − 0x400000 offset: (bits(t) − bits(magic)) << 23 = n·2^23.
  let shift = (unsafeBitCast(t, to: SIMD8<UInt32>.self) &- SIMD8<UInt32>(repeating: 0x4B40_0000)) &<< 23
  let result = unsafeBitCast(unsafeBitCast(p, to: SIMD8<UInt32>.self) &+ shift, to: SIMD8<Float>.self)
  return result.replacing(with: 0, where: y .< -125)
}

@_transparent @usableFromInline
func expV(_ input: SIMD8<Float>) -> SIMD8<Float> {
  expClampedV(input).replacing(with: 0, where: input .< -87.3)
}

/// σ(x) = 1/(1 + e^{−x}); no exact-zero tail needed (e^{−x} ≤ 1.2e−38 gives σ = 1 in float32).
@_transparent @usableFromInline
func sigmoidV(_ x: SIMD8<Float>) -> SIMD8<Float> {
  1 / (1 + expClampedV(-x))
}

/// σ(z) = 1/(1 + 2^u) from u = −z·log2 e, 16 lanes (the indexer's epilogue: the kernel's dot
/// products arrive already scaled by −log2 e, see `IndexerInputs`, and the range reduction runs on
/// the adders).
///
/// Mathematical properties:
/// - n = round(u) (1.5·2^23 trick), r = u − n ∈ [−½, ½] exact, 2^r by a degree-5
///   relative-minimax polynomial (Lawson iteration on Chebyshev nodes; 7.5e−8 in exact
///   arithmetic), 2^n added to the exponent bits, one correctly rounded division. Relative error
///   ≤ 3e−7 against float64 σ(−u/log2 e) for |u| ≤ 126 (tested on a dense grid).
/// - `clamp` (the general case) first clamps u to [−126, 126]: σ ∈ [0, 1] for every finite or
///   infinite u, NaN stays NaN; u ≥ 126 gives σ ≤ 1.2e−38, u ≤ −126 gives σ = 1. Without the
///   clamp the result is the same only for |u| ≤ 126: callers skip it when they have bounded u.
@_transparent @usableFromInline
func sigmoidOfNegativeLog2V(_ input: SIMD16<Float>, clamp: Bool) -> SIMD16<Float> {
  var u = input
  if clamp {
    u = u.replacing(with: 126, where: u .> 126)
    u = u.replacing(with: -126, where: u .< -126)
  }
  let magic = SIMD16<Float>(repeating: 12_582_912)
  let t = u + magic
  let r = u - (t - magic)
  var p = SIMD16<Float>(repeating: 1.327_647_13e-3)
  p = SIMD16<Float>(repeating: 9.675_541_89e-3).addingProduct(p, r)
  p = SIMD16<Float>(repeating: 5.550_713_09e-2).addingProduct(p, r)
  p = SIMD16<Float>(repeating: 2.402_212_02e-1).addingProduct(p, r)
  p = SIMD16<Float>(repeating: 6.931_469_44e-1).addingProduct(p, r)
  p = SIMD16<Float>(repeating: 1.000_000_12).addingProduct(p, r)
  let shift = (unsafeBitCast(t, to: SIMD16<UInt32>.self) &- SIMD16<UInt32>(repeating: 0x4B40_0000)) &<< 23
  let e = unsafeBitCast(unsafeBitCast(p, to: SIMD16<UInt32>.self) &+ shift, to: SIMD16<Float>.self)
  return 1 / (1 + e)
}

/// Stable scalar logistic sigmoid in float64: never overflows (uses e^{−|x|}).
@inline(__always) public func stableSigmoid(_ x: Double) -> Double {
  if x >= 0 {
    return 1 / (1 + exp(-x))
  } else {
    let e = exp(x)
    return e / (1 + e)
  }
}

/// Stable scalar logistic sigmoid in float32 (float64 inside).
@inline(__always) public func stableSigmoid(_ x: Float) -> Float { Float(stableSigmoid(Double(x))) }

@inline(__always) @usableFromInline func loadV(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
  UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) @usableFromInline func loadV(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
  UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) @usableFromInline func storeV(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// max of the 8 lanes by halving (vmaxps on halves, no scalar compare-and-branch chain).
@inline(__always) func horizontalMax(_ v: SIMD8<Float>) -> Float {
  let v = gsa_opaque_float8(v)  // as in `laneSums`
  let a = v.lowHalf, b = v.highHalf
  let four = a.replacing(with: b, where: b .> a)
  let c = four.lowHalf, e = four.highHalf
  let two = c.replacing(with: e, where: e .> c)
  return Swift.max(two[0], two[1])
}

/// The 8 lane-sums of 8 vectors as one vector: (Σa0, Σa1, …, Σa7), by a transpose-add tree
/// (fold halves, then even/odd lanes), 7 vector adds instead of 8 horizontal sums. The inputs pass
/// and the result through `gsa_opaque_float8`, so the tree's lane shuffles cannot make the
/// optimizer split the caller's accumulator loop into half-vectors or the tree into per-lane
/// scalar work for the lanes a caller stores (see CKernelSupport.h); the sums are unchanged.
@inline(__always) func laneSums(
  _ a0: SIMD8<Float>, _ a1: SIMD8<Float>, _ a2: SIMD8<Float>, _ a3: SIMD8<Float>, _ a4: SIMD8<Float>,
  _ a5: SIMD8<Float>, _ a6: SIMD8<Float>, _ a7: SIMD8<Float>
) -> SIMD8<Float> {
  let a0 = gsa_opaque_float8(a0), a1 = gsa_opaque_float8(a1), a2 = gsa_opaque_float8(a2), a3 = gsa_opaque_float8(a3)
  let a4 = gsa_opaque_float8(a4), a5 = gsa_opaque_float8(a5), a6 = gsa_opaque_float8(a6), a7 = gsa_opaque_float8(a7)
  // b: lanes 0–3 = 4 partial sums of the first vector, lanes 4–7 of the second.
  let b01 = SIMD8(lowHalf: a0.lowHalf + a0.highHalf, highHalf: a1.lowHalf + a1.highHalf)
  let b23 = SIMD8(lowHalf: a2.lowHalf + a2.highHalf, highHalf: a3.lowHalf + a3.highHalf)
  let b45 = SIMD8(lowHalf: a4.lowHalf + a4.highHalf, highHalf: a5.lowHalf + a5.highHalf)
  let b67 = SIMD8(lowHalf: a6.lowHalf + a6.highHalf, highHalf: a7.lowHalf + a7.highHalf)
  // c: pairs of partial sums (a0, a0, a1, a1, a2, a2, a3, a3).
  let c0123 = SIMD8(lowHalf: b01.evenHalf + b01.oddHalf, highHalf: b23.evenHalf + b23.oddHalf)
  let c4567 = SIMD8(lowHalf: b45.evenHalf + b45.oddHalf, highHalf: b67.evenHalf + b67.oddHalf)
  return gsa_opaque_float8(SIMD8(lowHalf: c0123.evenHalf + c0123.oddHalf, highHalf: c4567.evenHalf + c4567.oddHalf))
}

/// Σ of the 8 lanes by halving (3 dependent adds).
@inline(__always) func horizontalSum(_ v: SIMD8<Float>) -> Float {
  let v = gsa_opaque_float8(v)  // as in `laneSums`
  let four = v.lowHalf + v.highHalf
  let two = four.lowHalf + four.highHalf
  return two[0] + two[1]
}
