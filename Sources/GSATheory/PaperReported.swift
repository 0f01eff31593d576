/// The numbers the paper (and its reference code's README tables) REPORT, as reference data.
///
/// Nothing here is computed: these are the values the toolkit's checks and figures are set
/// against, each with its source tag (GSA-THEORY.md §3, §6, §7). Figures label them as
/// "reported by the paper"; every computed curve comes from the cost model, the kernels or the
/// simulations instead.
public struct ReportedValue: Sendable, Hashable {
  /// The table or statement the value belongs to, e.g. "k-ablation".
  public let table: String
  /// The row within the table, e.g. "k=512" or "gsa".
  public let row: String
  /// The numeric parameter of the row where there is one (k for the k-ablation), else nil.
  public let parameter: Double?
  /// What the value measures, e.g. "speedup".
  public let quantity: String
  public let value: Double
  /// Unit ("" for a pure number, "×" for a ratio to dense attention).
  public let unit: String
  public let source: ClaimSource
  /// Where the value is stated and how it is to be read.
  public let note: String

  public init(
    _ table: String, _ row: String, parameter: Double? = nil, _ quantity: String, _ value: Double, unit: String = "",
    source: ClaimSource, note: String = ""
  ) {
    self.table = table
    self.row = row
    self.parameter = parameter
    self.quantity = quantity
    self.value = value
    self.unit = unit
    self.source = source
    self.note = note
  }
}

/// The paper's reported numbers (GSA-THEORY.md), grouped by table.
public enum PaperReported {
  /// [code] sparsity ablation at 128K: k → speedup over full attention and perplexity.
  public static let kAblation: [ReportedValue] =
    zip([512.0, 1024, 2048, 4096], zip([22.0, 16, 12, 8], [5.89, 5.78, 5.70, 5.69])).flatMap { k, pair in
      [
        ReportedValue(
          "k-ablation", "k=\(Int(k))", parameter: k, "speedup", pair.0, unit: "×", source: .code,
          note: "sparsity ablation at L = 128K, speedup over full attention"),
        ReportedValue(
          "k-ablation", "k=\(Int(k))", parameter: k, "perplexity", pair.1, source: .code, note: "sparsity ablation at L = 128K"),
      ]
    } + [ReportedValue("k-ablation", "full attention", "perplexity", 5.68, source: .code, note: "sparsity ablation at L = 128K")]

  /// [abs][3p] the headline speedup at 128K context.
  public static let speedupClaim: [ReportedValue] = [
    ReportedValue("speedup-128k", "abstract", "speedup low", 12, unit: "×", source: .abstract, note: "\"12–16× speedup at 128K context\""),
    ReportedValue("speedup-128k", "abstract", "speedup high", 16, unit: "×", source: .abstract, note: "\"12–16× speedup at 128K context\""),
    ReportedValue(
      "speedup-128k", "third-party", "speedup", 12.8, unit: "×", source: .thirdParty,
      note: "\"roughly 12.8× speedup over standard attention\""),
    ReportedValue(
      "break-even", "third-party", "length", 4096, unit: "tokens", source: .thirdParty,
      note: "\"below about 4K tokens the indexer overhead exceeds the savings\""),
    ReportedValue(
      "indexer-dominates", "third-party", "length", 1_048_576, unit: "tokens", source: .thirdParty,
      note: "\"the O(L²) indexer dominates only beyond about 1M tokens\""),
  ]

  /// [code] efficiency at 128K relative to dense attention (time or bytes ratio, lower is better).
  public static let efficiency: [ReportedValue] = [
    ("gsa", "prefill", 0.09), ("gsa", "decode", 0.13), ("gsa", "memory", 0.97),
    ("sparse-only", "prefill", 0.08), ("sparse-only", "decode", 0.12), ("sparse-only", "memory", 0.95),
  ].map {
    ReportedValue("efficiency-128k", $0.0, $0.1, $0.2, unit: "× dense", source: .code, note: "reference README efficiency table at 128K")
  }

  /// [code] indexer ablation: cost relative to the ReLU indexer, and the (undefined) index accuracy.
  public static let indexerAblation: [ReportedValue] =
    [("relu", 1.00), ("sigmoid", 1.02), ("gated sigmoid", 1.05)].map {
      ReportedValue("indexer-ablation", $0.0, "overhead", $0.1, unit: "× ReLU", source: .code, note: "reference README indexer ablation")
    }
    + [("relu", 89.3), ("sigmoid", 91.2), ("gated sigmoid", 93.1)].map {
      ReportedValue(
        "indexer-ablation", $0.0, "index accuracy", $0.1, unit: "%", source: .code,
        note: "undefined metric (GSA-THEORY.md §8, inconsistency 6)")
    }

  /// [code][3p] training-stability numbers, baseline (standard attention) → GSA.
  public static let stability: [ReportedValue] = [
    ReportedValue("stability", "dense", "max stable lr", 4e-3, source: .code, note: "maximum stable learning rate, protocol undefined"),
    ReportedValue("stability", "gsa", "max stable lr", 8e-3, source: .code, note: "maximum stable learning rate, protocol undefined"),
    ReportedValue("stability", "dense", "loss spikes", 12.3, unit: "per 100K steps", source: .code, note: "spike definition undefined"),
    ReportedValue("stability", "gsa", "loss spikes", 0.3, unit: "per 100K steps", source: .code, note: "spike definition undefined"),
    ReportedValue("stability", "dense", "max activation", 1053, source: .code, note: "largest activation magnitude"),
    ReportedValue("stability", "gsa", "max activation", 87, source: .code, note: "largest activation magnitude"),
    ReportedValue(
      "attention-sink", "dense", "first-token attention", 46.7, unit: "%", source: .code, note: "share of attention on the first token"),
    ReportedValue(
      "attention-sink", "gsa", "first-token attention", 3.9, unit: "%", source: .code, note: "share of attention on the first token"),
  ]

  /// [abs][code] headline quality numbers.
  public static let headline: [ReportedValue] =
    [
      ("dense", 6.026), ("sparse-only", 6.015), ("gated-only", 5.761), ("gsa", 5.698),
    ].map { ReportedValue("perplexity", $0.0, "perplexity", $0.1, source: .code, note: "1.7B parameters, 400B tokens") } + [
      ReportedValue("ruler-128k", "dense", "RULER@128K", 31.65, source: .code),
      ReportedValue("ruler-128k", "gsa", "RULER@128K", 62.18, source: .code),
    ]

  /// Every reported value, in the order above.
  public static var all: [ReportedValue] { kAblation + speedupClaim + efficiency + indexerAblation + stability + headline }

  /// The claimed loss-spike reduction 1 − GSA/dense (12.3 → 0.3 per 100K steps: 97.6%).
  public static var spikeReduction: Double {
    1 - (value("stability", row: "gsa", "loss spikes") ?? .nan) / (value("stability", row: "dense", "loss spikes") ?? .nan)
  }

  /// The claimed attention-sink reduction factor dense/GSA (46.7% → 3.9%: 12×).
  public static var sinkFactor: Double {
    (value("attention-sink", row: "dense", "first-token attention") ?? .nan)
      / (value("attention-sink", row: "gsa", "first-token attention") ?? .nan)
  }

  /// The reported `quantity` of row `row` of `table` among `values` (default: `all`), or nil when none is reported.
  public static func value(_ table: String, row: String, _ quantity: String, in values: [ReportedValue] = all) -> Double? {
    values.first { $0.table == table && $0.row == row && $0.quantity == quantity }?.value
  }
}
