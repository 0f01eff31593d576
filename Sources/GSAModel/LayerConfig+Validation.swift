/// A configuration value outside its valid range: names the field, the valid range and the fix.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The offending field (the `LayerConfig` property name, or "length").
  public let field: String
  /// One line: what is wrong, the valid range, how to fix it.
  public let message: String

  public init(field: String, message: String) {
    self.field = field
    self.message = message
  }

  public var description: String { "invalid \(field): \(message)" }
}

extension LayerConfig {
  /// Largest accepted width of any single dimension (keeps every product far from Int overflow).
  public static let maximumDimension = 1 << 16
  /// Largest accepted sequence length.
  public static let maximumLength = 1 << 24

  /// Checks every field and returns `self` unchanged when valid.
  ///
  /// Rules: all sizes positive and ≤ `maximumDimension`; H a multiple of H_kv (GQA) (an odd d_h
  /// is allowed: RoPE then leaves the last component unrotated); 1 ≤ k_min ≤ k_base ≤ k_max; the code-rule temperature finite and ≥ 0;
  /// the RoPE base finite and > 1.
  public func validated() throws(ConfigError) -> LayerConfig {
    func positive(_ value: Int, _ field: String, _ fix: String) throws(ConfigError) {
      guard value >= 1, value <= Self.maximumDimension else {
        throw ConfigError(
          field: field, message: "\(value) is outside 1...\(Self.maximumDimension); \(fix)")
      }
    }
    try positive(modelDim, "modelDim", "set D (--d-model) to a positive width, e.g. 512")
    try positive(heads, "heads", "set H (--heads) to a positive count, e.g. 8")
    try positive(kvHeads, "kvHeads", "set H_kv (--kv-heads) to a positive divisor of H")
    try positive(headDim, "headDim", "set d_h (--head-dim) to a positive size, e.g. 64")
    try positive(indexerHeads, "indexerHeads", "set H_I (--indexer-heads) to a positive count, e.g. 4")
    try positive(indexerDim, "indexerDim", "set d_I (--indexer-dim) to a positive size, e.g. 64")
    guard heads % kvHeads == 0 else {
      throw ConfigError(
        field: "kvHeads", message: "H = \(heads) is not a multiple of H_kv = \(kvHeads); choose H_kv dividing H")
    }
    guard kMin >= 1, kMin <= Self.maximumLength else {
      throw ConfigError(field: "kMin", message: "k_min = \(kMin) is outside 1...\(Self.maximumLength); use k_min ≥ 1")
    }
    guard kBase >= kMin, kBase <= kMax else {
      throw ConfigError(
        field: "kBase",
        message: "k_base = \(kBase) is not in k_min...k_max = \(kMin)...\(kMax); choose k_min ≤ k_base ≤ k_max")
    }
    guard kMax <= Self.maximumLength else {
      throw ConfigError(field: "kMax", message: "k_max = \(kMax) exceeds \(Self.maximumLength); lower k_max")
    }
    guard codeRuleTemperature.isFinite, codeRuleTemperature >= 0 else {
      throw ConfigError(
        field: "codeRuleTemperature",
        message: "T = \(codeRuleTemperature) must be finite and ≥ 0; the reference default is 1")
    }
    guard ropeBase.isFinite, ropeBase > 1 else {
      throw ConfigError(field: "ropeBase", message: "θ = \(ropeBase) must be finite and > 1; the usual value is 10000")
    }
    return self
  }

  /// Validates the configuration together with a sequence length L (1 ≤ L ≤ `maximumLength`).
  public func validate(length: Int) throws(ConfigError) {
    _ = try validated()
    guard length >= 1, length <= Self.maximumLength else {
      throw ConfigError(
        field: "length", message: "L = \(length) is outside 1...\(Self.maximumLength); pass a positive sequence length")
    }
  }

  /// The paper's reference defaults [code]: D 4096, H 32, H_kv 8, d_h 128, H_I 4, d_I 64,
  /// k_base 2048, k_min 256, k_max 4096, the [code] adaptive-k rule with T = 1, sigmoid indexer
  /// with the 1/√d_I scale, both gates, causal.
  public static let paper = LayerConfig(
    modelDim: 4096, heads: 32, kvHeads: 8, headDim: 128, indexerHeads: 4, indexerDim: 64,
    kBase: 2048, kMin: 256, kMax: 4096, kRule: .code)

  /// The paper's shape at a CPU-friendly size: D/(d_I·H_I) = 512/32 = 16 as in the paper, D = H·d_h,
  /// H/H_kv = 4, k budgets in the paper's proportions (k_min = k_base/8, k_max = 2·k_base).
  public static let paperShape = LayerConfig(
    modelDim: 512, heads: 8, kvHeads: 2, headDim: 64, indexerHeads: 2, indexerDim: 16,
    kBase: 256, kMin: 32, kMax: 512, kRule: .code)

  /// A small configuration for quick experiments (D 128).
  public static let small = LayerConfig(
    modelDim: 128, heads: 4, kvHeads: 2, headDim: 32, indexerHeads: 2, indexerDim: 16,
    kBase: 32, kMin: 8, kMax: 64, kRule: .code)

  /// A tiny configuration for tests (D 16).
  public static let tiny = LayerConfig(
    modelDim: 16, heads: 2, kvHeads: 1, headDim: 8, indexerHeads: 2, indexerDim: 4,
    kBase: 4, kMin: 2, kMax: 8, kRule: .code)

  /// Preset names accepted by `preset(named:)`.
  public static let presetNames = ["paper", "paper-shape", "small", "tiny"]

  /// The preset with that name (see `presetNames`), or nil.
  public static func preset(named name: String) -> LayerConfig? {
    switch name.lowercased() {
    case "paper": return .paper
    case "paper-shape", "papershape", "paper_shape": return .paperShape
    case "small": return .small
    case "tiny": return .tiny
    default: return nil
    }
  }

  /// This configuration with the switches a variant implies (sizes and k rule unchanged):
  /// dense: no gates (the indexer is not run); sparse-only: ReLU indexer, no gates;
  /// gated-only: both gates (no indexer); gsa: sigmoid indexer and both gates.
  public func configured(for variant: Variant) -> LayerConfig {
    var copy = self
    switch variant {
    case .dense:
      copy.valueGate = false
      copy.outputGate = false
    case .sparseOnly:
      copy.indexerActivation = .relu
      copy.valueGate = false
      copy.outputGate = false
    case .gatedOnly:
      copy.valueGate = true
      copy.outputGate = true
    case .gsa:
      copy.indexerActivation = .sigmoid
      copy.valueGate = true
      copy.outputGate = true
    }
    return copy
  }

  /// Number of causal candidates of query t (0-based): t + 1 when causal, else L.
  @inlinable public func candidateCount(query t: Int, length: Int) -> Int { causal ? t + 1 : length }
}
