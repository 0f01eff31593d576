import GSAModel

/// The paper-level cost analysis of one layer configuration at one sequence length
/// (GSA-THEORY.md §3): the attention-core ratio under the two conventions the "12–16×" claim
/// spans, the whole-layer ratio, the break-even length, the indexer/sparse-core crossover,
/// the asymptotic cap and the memory of a streaming implementation against the reference code.
///
/// Two conventions, both stated in every output that uses them:
/// - **O-ratio** [fig][3p]: the paper's O-expressions taken with coefficient 1, no causal mask:
///   dense core L²·D, GSA core L²·d_I·H_I + L·k·D.
/// - **Causal FLOPs** [rec]: a multiply-add is 2 FLOPs; the dense core (Q·K and A·V, 4·D FLOPs per
///   pair) and the indexer (2·d_I·H_I per pair) see L²/2 causal pairs; the sparse core sees L·k pairs
///   whatever the mask: dense 2·L²·D, GSA L²·d_I·H_I + 4·L·k·D.
///
/// The attention width is D_attn = H·d_h (the paper's D, since its configurations have D = H·d_h).
///
/// Mathematical properties:
/// - core speedup, O-ratio: L²D / (L²·d_I·H_I + L·k·D) = 1 / (d_I·H_I/D + k/L), increasing in L,
///   capped by D/(d_I·H_I) as L → ∞.
/// - core speedup, causal: 2·L·D / (L·d_I·H_I + 4·k·D), capped by 2·D/(d_I·H_I).
/// - break-even (speedup = 1): L* = k·D/(D − d_I·H_I) (O-ratio), 4·k·D/(2·D − d_I·H_I) (causal);
///   no break-even (∞) when the indexer alone costs at least the dense core per pair.
/// - indexer term = sparse-core term at L = k·D/(d_I·H_I) (O-ratio), 4·k·D/(d_I·H_I) (causal).
/// For the paper's configuration (D 4096, d_I 64, H_I 4, k 2048, L 131072): 12.8, 16.0, L* ≈ 4228,
/// crossover 32768 and 131072, caps 16 and 32.
public struct PaperCostModel: Sendable, Hashable {
  public let config: LayerConfig
  /// L.
  public let length: Int
  /// The budget k the paper-level formulas use (k_base unless overridden, e.g. by a mean Σk_t/L).
  public let k: Double

  public init(config: LayerConfig, length: Int, k: Double? = nil) {
    self.config = config
    self.length = length
    self.k = k ?? Double(config.kBase)
  }

  /// D_attn = H·d_h, the width of the attention core.
  public var attentionWidth: Double { Double(config.heads * config.headDim) }
  /// d_I·H_I, the indexer's per-pair width.
  public var indexerWidth: Double { Double(config.indexerDim * config.indexerHeads) }

  // MARK: Attention core

  /// The three attention-core terms under one convention.
  public struct CoreTerms: Sendable, Hashable {
    /// Dense attention core.
    public let dense: Double
    /// Indexer scores (sparse variants).
    public let indexer: Double
    /// Sparse attention core over the k selected keys.
    public let sparse: Double
    /// dense / (indexer + sparse).
    public var speedup: Double { dense / (indexer + sparse) }
  }

  public enum Convention: String, Sendable, Hashable, CaseIterable {
    /// The paper's O-expressions with coefficient 1 [fig][3p].
    case oRatio = "o-ratio"
    /// Multiply-add = 2 FLOPs; dense core and indexer halved by the causal mask, sparse core not [rec].
    case causal
  }

  /// The attention-core terms at this length: O-ratio L²D, L²·d_I·H_I, L·k·D; causal 2L²D, L²·d_I·H_I, 4L·k·D.
  public func core(_ convention: Convention) -> CoreTerms {
    let l = Double(length)
    switch convention {
    case .oRatio:
      return CoreTerms(dense: l * l * attentionWidth, indexer: l * l * indexerWidth, sparse: l * k * attentionWidth)
    case .causal:
      return CoreTerms(dense: 2 * l * l * attentionWidth, indexer: l * l * indexerWidth, sparse: 4 * l * k * attentionWidth)
    }
  }

  /// Sequence length at which GSA's attention core costs the same as the dense core;
  /// `.infinity` when it never does (d_I·H_I ≥ D, resp. ≥ 2D).
  public func breakEven(_ convention: Convention) -> Double {
    let d = attentionWidth
    switch convention {
    case .oRatio: return d > indexerWidth ? k * d / (d - indexerWidth) : .infinity
    case .causal: return 2 * d > indexerWidth ? 4 * k * d / (2 * d - indexerWidth) : .infinity
    }
  }

  /// Sequence length at which the indexer term equals the sparse-core term (beyond it the
  /// indexer dominates): k·D/(d_I·H_I), resp. 4·k·D/(d_I·H_I).
  public func indexerCrossover(_ convention: Convention) -> Double {
    switch convention {
    case .oRatio: return k * attentionWidth / indexerWidth
    case .causal: return 4 * k * attentionWidth / indexerWidth
    }
  }

  /// lim_{L→∞} of the core speedup: D/(d_I·H_I), resp. 2D/(d_I·H_I).
  public func cap(_ convention: Convention) -> Double {
    switch convention {
    case .oRatio: return attentionWidth / indexerWidth
    case .causal: return 2 * attentionWidth / indexerWidth
    }
  }

  // MARK: Whole layer

  /// The leading-order cost of a whole layer, by bucket (the matrix products only; RoPE,
  /// element-wise gate products, softmax exponentials and selection are lower order and are
  /// counted exactly by the ledger and `CostModel`).
  public struct LayerTerms: Sendable, Hashable {
    public var projections: Double = 0
    public var gates: Double = 0
    public var indexer: Double = 0
    public var attention: Double = 0
    public var total: Double { projections + gates + indexer + attention }
    public subscript(bucket: FlopBucket) -> Double {
      switch bucket {
      case .projections: return projections
      case .gates: return gates
      case .indexer: return indexer
      case .selection: return 0
      case .attention: return attention
      }
    }
  }

  /// Whole-layer terms of `variant` under `convention`. Projections Q, K, V, O:
  /// D·(2·H·d_h + 2·H_kv·d_h) multiply-adds per token; gates G1 (D·H·d_h) and G2 (D·H_kv·d_h);
  /// indexer projections q^I, k^I, w: D·(H_I·d_I + d_I + H_I); plus the attention core of `core(_:)`.
  /// Causal: multiply-add = 2 FLOPs. O-ratio: coefficient 1 per multiply-add, like its core terms.
  public func layer(_ variant: Variant, _ convention: Convention) -> LayerTerms {
    let l = Double(length)
    let d = Double(config.modelDim)
    let perMultiplyAdd: Double = convention == .causal ? 2 : 1
    let qo = Double(config.heads * config.headDim)
    let kv = Double(config.kvHeads * config.headDim)
    let core = core(convention)
    var terms = LayerTerms()
    terms.projections = perMultiplyAdd * l * d * (2 * qo + 2 * kv)
    if variant.isGated { terms.gates = perMultiplyAdd * l * d * (qo + kv) }
    if variant.isSparse {
      let indexerProjection = Double(config.indexerHeads * config.indexerDim + config.indexerDim + config.indexerHeads)
      terms.indexer = perMultiplyAdd * l * d * indexerProjection + core.indexer
      terms.attention = core.sparse
    } else {
      terms.attention = core.dense
    }
    return terms
  }

  /// Whole-layer speedup of `variant` over plain dense attention (projections and gates included).
  public func layerSpeedup(_ variant: Variant, _ convention: Convention) -> Double {
    layer(.dense, convention).total / layer(variant, convention).total
  }

  // MARK: Exact counts

  /// The exact useful and executed counts of `variant` at this length from the bucketed `CostModel`
  /// (the variant's baseline switches via `configured(for:)`; nominal budgets min(k_base, t + 1) per query).
  /// Units are the ledger's: multiply/add FLOPs (multiply-add = 2), transcendentals and comparisons apart.
  public func exactLedger(_ variant: Variant) -> FlopLedger {
    CostModel(config: config.configured(for: variant), variant: variant).ledger(length: length)
  }

  /// Whole-layer speedup of `variant` over dense from the exact useful multiply/add FLOPs
  /// (everything the layer computes, causal pairs only): the exact counterpart of `layerSpeedup(_:.causal)`.
  public func exactLayerSpeedup(_ variant: Variant) -> Double {
    Double(exactLedger(.dense).usefulTotal.flops) / Double(exactLedger(variant).usefulTotal.flops)
  }

  // MARK: Memory

  /// Bytes of float32 storage a forward pass needs.
  public struct Memory: Sendable, Hashable {
    /// A streaming implementation, O(L·(D + k)): activations, projections, gates, indexer
    /// projections, selected indices, per-thread score blocks, weights.
    public let streamingBytes: Double
    /// The reference code's largest tensors [code]: dense scores B·H·L·L; for sparse variants
    /// the indexer's raw scores B·H_I·L·L plus the summed L·L scores plus the gathered
    /// K and V, each L·k·H·d_h (B = 1).
    public let referenceBytes: Double
  }

  /// Memory of `variant` at this length, with `threads` workers each holding a block of
  /// `queryBlock` score rows of length L.
  public func memory(_ variant: Variant, threads: Int = 1, queryBlock: Int = 64) -> Memory {
    let l = Double(length)
    let d = Double(config.modelDim)
    let qo = Double(config.heads * config.headDim)
    let kv = Double(config.kvHeads * config.headDim)
    let floatBytes = 4.0
    // x, Q, K, V, attention output, layer output.
    var floats = l * (d + qo + 2 * kv + qo + d)
    var weights = d * (2 * qo + 2 * kv)
    if variant.isGated {
      floats += l * (qo + kv)  // G1 pre-activations, gated V'
      weights += d * (qo + kv)
    }
    var reference = floatBytes * Double(config.heads) * l * l
    if variant.isSparse {
      let indexerProjection = Double(config.indexerHeads * config.indexerDim + config.indexerDim + config.indexerHeads)
      floats += l * indexerProjection + l * k + l  // q^I, k^I, w; selected indices (Int32); k_t
      floats += Double(max(1, threads) * queryBlock) * l  // per-thread block of indexer score rows
      weights += d * indexerProjection
      reference = floatBytes * (Double(config.indexerHeads) * l * l + l * l + 2 * l * k * qo)
    } else {
      floats += Double(max(1, threads) * queryBlock) * 64  // online-softmax tiles, independent of L
    }
    return Memory(streamingBytes: floatBytes * (floats + weights), referenceBytes: reference)
  }
}

extension PaperCostModel {
  /// The k-ablation's budgets at 128K [code] and the O-ratio speedups the cost model gives for them.
  public static let ablationBudgets = [512, 1024, 2048, 4096]
}
