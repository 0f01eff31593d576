import Foundation
import GSAModel

/// The attention core's prefill time on a GPU spec profile (`TimeModel` at the datasheet's bf16
/// peak P and HBM bandwidth W), dense against GSA, and what the paper's 12–16× requires.
///
/// Attention core (the CX-speedup-128k convention (b)): dense = the dense variant's attention
/// bucket; GSA = its indexer bucket (projections and pair scores), selection bucket and attention
/// bucket (the sparse core). Counts and bytes are `CostModel`'s (causal, fixed k, bf16: e = 2).
///
/// Assumptions (each stated in the claim's evidence):
/// 1. every kernel runs at the datasheet's peak: t = max(F/P, M/W) (no efficiency factor: these
///    are lower bounds on time);
/// 2. a fraction φ of the sparse core's gathered K/V bytes G is served on chip (L2 or shared
///    memory) at no cost, the rest from HBM at W: t_core(φ) = max(F_core/P, M_core/W + (1 − φ)·G/W);
/// 3. the indexer's σ, the softmax's exp and the top-k have no datasheet rate and are not priced;
///    the indexer is priced at its FLOP bound F_I/P with its scores kept on chip (the bytes the
///    CPU kernels write and re-read, L²/2 scores, are left out of the budget floor).
///
/// Then, for a target speedup S:
///
///     T_dense    = max(F_dense/P, M_dense/W)
///     budget(S, φ) = T_dense/S − t_core(φ)           time left for the indexer and the top-k
///     φ_S        = 1 − (W·(T_dense/S − F_I/P) − M_core)/G     clamped to [0, 1]; nil when even φ = 1
///                                                    (or F_core/P) does not fit
///     speedup(φ) = T_dense / (t_core(φ) + F_I/P)     (top-k free: an upper bound)
///
/// Mathematical properties: t_core is non-increasing in φ; speedup(φ) is non-decreasing in φ;
/// budget(S, φ_S) = F_I/P whenever φ_S ∈ (0, 1) and the core is memory-bound there.
public struct GPUSpeedupModel: Sendable {
  public let config: LayerConfig
  public let length: Int
  /// P (bf16 peak) and W (HBM), FLOP/s and B/s.
  public let flopsPerSecond: Double
  public let hbmBytesPerSecond: Double
  public let elementBytes: Int

  /// Dense core: FLOPs and bytes; GSA core: FLOPs, compulsory bytes, gathered bytes; indexer FLOPs.
  public let denseFlops: Double
  public let denseBytes: Double
  public let coreFlops: Double
  public let coreBytes: Double
  public let gatheredBytes: Double
  public let indexerFlops: Double
  public let indexerBytes: Double

  public init(
    config: LayerConfig, length L: Int, flopsPerSecond: Double, hbmBytesPerSecond: Double, elementBytes: Int = 2
  ) {
    self.config = config
    self.length = L
    self.flopsPerSecond = flopsPerSecond
    self.hbmBytesPerSecond = hbmBytesPerSecond
    self.elementBytes = elementBytes
    let dense = CostModel(config: config.configured(for: .dense), variant: .dense, elementBytes: elementBytes).ledger(length: L)
    let gsa = CostModel(config: config.configured(for: .gsa), variant: .gsa, elementBytes: elementBytes).ledger(length: L)
    denseFlops = Double(dense.useful.attention.flops)
    denseBytes = Double(dense.bytes.attention.compulsory)
    coreFlops = Double(gsa.useful.attention.flops)
    coreBytes = Double(gsa.bytes.attention.compulsory)
    gatheredBytes = Double(gsa.bytes.attention.gathered)
    indexerFlops = Double(gsa.useful.indexer.flops)
    indexerBytes = Double(gsa.bytes.indexer.compulsory + gsa.bytes.selection.compulsory)
  }

  /// The model on a spec profile (bf16 peak and HBM).
  public init?(profile: MachineProfile, config: LayerConfig, length: Int) {
    guard let s = profile.spec else { return nil }
    self.init(
      config: config, length: length, flopsPerSecond: s.peakDenseBF16FlopsPerSecond.value,
      hbmBytesPerSecond: s.hbmBytesPerSecond.value)
  }

  /// T_dense: the dense attention core's time bound.
  public var denseSeconds: Double { max(denseFlops / flopsPerSecond, denseBytes / hbmBytesPerSecond) }
  /// F_I/P: the indexer's FLOP-bound time (scores on chip).
  public var indexerFloorSeconds: Double { indexerFlops / flopsPerSecond }
  /// The indexer's time with its scores streamed through HBM as the CPU kernels' ledger counts them.
  public var indexerStreamedSeconds: Double { max(indexerFloorSeconds, indexerBytes / hbmBytesPerSecond) }

  /// t_core(φ).
  public func coreSeconds(onChipFraction phi: Double) -> Double {
    let f = min(1, max(0, phi))
    return max(coreFlops / flopsPerSecond, (coreBytes + (1 - f) * gatheredBytes) / hbmBytesPerSecond)
  }

  /// budget(S, φ): time left for the indexer and top-k at target speedup S.
  public func budgetSeconds(speedup S: Double, onChipFraction phi: Double) -> Double {
    denseSeconds / S - coreSeconds(onChipFraction: phi)
  }

  /// speedup(φ) = T_dense / (t_core(φ) + F_I/P), top-k free.
  public func speedup(onChipFraction phi: Double) -> Double {
    denseSeconds / (coreSeconds(onChipFraction: phi) + indexerFloorSeconds)
  }

  /// φ_S: the smallest on-chip fraction that leaves the indexer its FLOP-bound time at speedup S;
  /// 0 when even φ = 0 does; nil when no φ ≤ 1 does.
  public func requiredOnChipFraction(speedup S: Double) -> Double? {
    let budget = denseSeconds / S - indexerFloorSeconds
    guard budget >= coreFlops / flopsPerSecond, budget * hbmBytesPerSecond >= coreBytes else { return nil }
    guard gatheredBytes > 0 else { return 0 }
    return min(1, max(0, 1 - (budget * hbmBytesPerSecond - coreBytes) / gatheredBytes))
  }
}
