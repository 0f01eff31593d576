/// The shape and options of one attention layer (GSA or a baseline).
///
/// Notation follows GSA-THEORY.md §1: D model width, H query heads, H_kv key/value heads
/// (GQA), d_h head dimension, H_I indexer heads, d_I indexer dimension, k budgets.
public struct LayerConfig: Sendable, Hashable, Codable {
  /// D.
  public var modelDim: Int
  /// H.
  public var heads: Int
  /// H_kv (GQA: H must be a multiple of H_kv).
  public var kvHeads: Int
  /// d_h.
  public var headDim: Int
  /// H_I.
  public var indexerHeads: Int
  /// d_I.
  public var indexerDim: Int
  /// k_base, k_min, k_max: the selection budgets (GSA-THEORY.md §2.4).
  public var kBase: Int
  public var kMin: Int
  public var kMax: Int
  /// How k_t is chosen per query.
  public var kRule: AdaptiveKRule
  /// The indexer's activation: sigmoid (GSA, bounded) or ReLU (DSA-style, unbounded).
  public var indexerActivation: IndexerActivation
  /// G2: V' = V ⊙ σ(h W_V^g + b_V^g).
  public var valueGate: Bool
  /// G1: O^g = O ⊙ σ(h W_O^g + b_O).
  public var outputGate: Bool
  /// Multiply indexer dot products by 1/√d_I ([code] does; the figure does not).
  public var indexerScale: Bool
  /// Query t sees keys s ≤ t.
  public var causal: Bool
  /// Temperature T of the [code] rule k_t = k_base·(0.5 + 1/(1 + T·v̂_t)).
  public var codeRuleTemperature: Double
  /// RoPE base frequency θ.
  public var ropeBase: Double

  public init(
    modelDim: Int, heads: Int, kvHeads: Int, headDim: Int, indexerHeads: Int, indexerDim: Int,
    kBase: Int, kMin: Int, kMax: Int, kRule: AdaptiveKRule = .fixed, indexerActivation: IndexerActivation = .sigmoid,
    valueGate: Bool = true, outputGate: Bool = true, indexerScale: Bool = true, causal: Bool = true,
    codeRuleTemperature: Double = 1, ropeBase: Double = 10000
  ) {
    self.modelDim = modelDim
    self.heads = heads
    self.kvHeads = kvHeads
    self.headDim = headDim
    self.indexerHeads = indexerHeads
    self.indexerDim = indexerDim
    self.kBase = kBase
    self.kMin = kMin
    self.kMax = kMax
    self.kRule = kRule
    self.indexerActivation = indexerActivation
    self.valueGate = valueGate
    self.outputGate = outputGate
    self.indexerScale = indexerScale
    self.causal = causal
    self.codeRuleTemperature = codeRuleTemperature
    self.ropeBase = ropeBase
  }
}

/// The rule that sets each query's budget k_t (GSA-THEORY.md §2.4; three incompatible
/// versions exist, see inconsistency 1).
public enum AdaptiveKRule: String, Sendable, Hashable, Codable, CaseIterable {
  /// [fig] k_t = clamp(k_base · Var_t / V̄, k_min, k_max): k grows with variance.
  case figure
  /// [code] k_t = clamp(k_base · (0.5 + 1/(1 + T·v̂_t)), k_min, k_max), v̂_t = Var_t / mean Var.
  case code
  /// k_t = k_base for every query.
  case fixed
}

/// The indexer's per-head activation.
public enum IndexerActivation: String, Sendable, Hashable, Codable, CaseIterable {
  case sigmoid, relu
}

/// The four attention variants the paper compares.
public enum Variant: String, Sendable, Hashable, Codable, CaseIterable {
  /// Standard causal softmax attention over all keys.
  case dense
  /// DSA-style: ReLU indexer, top-k, no gates.
  case sparseOnly = "sparse-only"
  /// Dense attention with G1 and G2.
  case gatedOnly = "gated-only"
  /// Gated Sparse Attention: sigmoid gated indexer, adaptive top-k, G1 and G2.
  case gsa

  public var isSparse: Bool { self == .sparseOnly || self == .gsa }
  public var isGated: Bool { self == .gatedOnly || self == .gsa }
}

/// The buckets FLOPs are accounted in, identical for the measured ledger and the cost model.
public enum FlopBucket: String, Sendable, Hashable, Codable, CaseIterable {
  /// Q, K, V, O projections and RoPE.
  case projections
  /// G1 and G2 gate pre-activations and products.
  case gates
  /// Indexer projections and scores I_{t,s}.
  case indexer
  /// Top-k selection comparisons (and the adaptive-k statistics).
  case selection
  /// Q·K scores, softmax and the weighted sum of values.
  case attention
}
