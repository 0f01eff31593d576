import Foundation
import GSAModel

extension Claim {
  /// CX-decode-cache: decoding with the KV cache computes the same attention as prefill.
  public static let cxDecodeCache = Claim(
    id: "CX-decode-cache", group: .complexity,
    statement: """
      Decoding with the KV cache computes the same attention as prefill (the premise of the [code] decode efficiency 0.13×): \
      the cached step for token t selects and attends to the same keys, with the same output, as query t of a full prefill.
      """,
    sources: [.code],
    assumptions: """
      The reference implementation at commit b23ccad, run by scripts/reference/make_fixtures.py (fixture decode.safetensors: a \
      float64 GSA layer, D = 32, H = 4, H_kv = 2, d_h = 8, H_I = 2, d_I = 8, fixed k = 8, random biases, L = 24): prefill of \
      L − 1 tokens with use_cache, one cached step for token L − 1, compared with query L − 1 of the full prefill of L tokens. \
      Output difference in the max norm relative to the prefill row; the toolkit's float64 layer recomputes the step's output \
      from the step's own selection to confirm what it attended to. Evidence also runs the toolkit's own KV-cache decode \
      (AttentionLayer.decodeStep, float32) on the fixture's weights and input against its prefill and the reference's.
      """,
    scope: "Exact: the reference's own outputs on a small fixture; a code-path fault, not scale."
  ) { context in
    guard let directory = ReferenceFixture.directory else {
      return ClaimOutcome(
        verdict: .inconclusive,
        summary:
          "the reference fixture Tests/Fixtures/reference/decode.safetensors is not found; set GSA_REFERENCE_FIXTURES to its directory.",
        evidence: [])
    }
    let data = try ReferenceDecode(path: (directory as NSString).appendingPathComponent("decode.safetensors"))
    return ComplexityChecks.decodeCache(data, tolerance: 1e-6)
  }
}

/// The reference's cached decode and its prefill, from the fixture `decode.safetensors`.
public struct ReferenceDecode: Sendable {
  public var fixture: ReferenceFixture
  /// Position of the decoded token (L − 1).
  public var position: Int
  /// The cached step's output row (D) and its S_t (keys of the concatenated cache, ascending).
  public var decodeOutput: [Double]
  public var decodeSelection: [Int]

  public init(path: String) throws(SafetensorsError) {
    fixture = try ReferenceFixture(path: path)
    position = fixture.length - 1
    decodeOutput = try fixture.file.doubles("decode_output")
    decodeSelection = try ReferenceFixture.selection(fixture.file, name: "decode_selected", countName: "decode_k_t").0.sets[0]
  }

  /// Query `position`'s row of the reference's full prefill.
  public var prefillOutput: [Double] {
    let d = fixture.config.layer.modelDim
    return Array(fixture.output[(position * d)..<((position + 1) * d)])
  }
  public var prefillSelection: [Int] { fixture.selection.sets[position] }
}

extension ComplexityChecks {
  /// Compares the reference's cached step with its prefill: the claim holds when the step selects
  /// the prefill's S_t and its output agrees within `tolerance` (relative, max norm). Evidence also
  /// recomputes the step with the toolkit's float64 layer under the step's own selection, and the
  /// rank of each key the step attended to among the prefill's indexer scores.
  public static func decodeCache(_ data: ReferenceDecode, tolerance: Double) -> ClaimOutcome {
    let fixture = data.fixture
    let l = fixture.length, t = data.position, d = fixture.config.layer.modelDim
    let prefill = data.prefillOutput
    let scale = prefill.map(abs).max() ?? 0
    let discrepancy = zip(data.decodeOutput, prefill).map { abs($0 - $1) }.max()! / max(scale, .leastNormalMagnitude)
    let layer = DifferentiableLayer(parameters: fixture.layer.parameters)
    var sets = fixture.selection.sets
    sets[t] = data.decodeSelection
    let recomputed = Array(layer.forward(fixture.input, length: l, selection: Selection(sets: sets)).output[(t * d)..<((t + 1) * d)])
    let recomputedError =
      zip(recomputed, data.decodeOutput).map { abs($0 - $1) }.max()! / max(data.decodeOutput.map(abs).max() ?? 0, .leastNormalMagnitude)
    let scores = layer.indexerScores(fixture.input, length: l)
    let ranking = (0...t).sorted { scores[t * l + $0] != scores[t * l + $1] ? scores[t * l + $0] > scores[t * l + $1] : $0 < $1 }
    let worstRank = data.decodeSelection.map { (ranking.firstIndex(of: $0) ?? l) + 1 }.max() ?? 0
    let sameSelection = data.decodeSelection == data.prefillSelection
    var evidence = [
      EvidenceItem("decoded position", Double(t)), EvidenceItem("prefill k_t", Double(data.prefillSelection.count)),
      EvidenceItem("decode k_t", Double(data.decodeSelection.count)),
      EvidenceItem("decode keys equal to prefill keys", sameSelection ? 1 : 0),
      EvidenceItem("worst prefill-score rank of a decode key", Double(worstRank)),
      EvidenceItem("decode vs prefill output (relative)", discrepancy),
      EvidenceItem("toolkit float64 under the decode's S_t vs decode output (relative)", recomputedError),
    ]
    if let own = toolkitDecodeEvidence(data) { evidence += own }
    let keys = data.decodeSelection.map(String.init).joined(separator: ", ")
    if sameSelection && discrepancy <= tolerance {
      return ClaimOutcome(
        verdict: .holds,
        summary:
          "the reference's cached step selects the prefill's \(data.prefillSelection.count) keys and matches its output to \(String.num(discrepancy)).",
        evidence: evidence)
    }
    return ClaimOutcome(
      verdict: .refuted,
      summary: """
        the reference's cached step for token \(t) attends to key(s) {\(keys)} (k_t = \(data.decodeSelection.count)) instead of the \
        prefill's \(data.prefillSelection.count) top-scored keys: its indexer scores only the new token, so top-k always picks cached \
        position 0, whatever the scores (key 0 ranks \(worstRank) of \(t + 1) there); its output differs from its own prefill by \
        \(String.num(discrepancy, 3)) relative. The toolkit's float64 layer under S_t = {\(keys)} reproduces the step to \
        \(String.num(recomputedError, 2)).
        """,
      counterexample: """
        decode.safetensors: token \(t), decode S_t = {\(keys)}, prefill S_t = {\(data.prefillSelection.map(String.init).joined(separator: ", "))}; \
        ‖u_decode − u_prefill‖∞/‖u_prefill‖∞ = \(String.num(discrepancy, 3))
        """,
      evidence: evidence)
  }

  /// The toolkit's own KV-cache decode on the fixture's weights and input, for the same claim:
  /// its float32 layer prefills L − 1 tokens into a `KVCache`, decodes token L − 1, and is compared
  /// with query L − 1 of its own prefill of L tokens (S_t, k_t and output) and with the reference's
  /// prefill output. Nil when the fixture's layer does not load.
  static func toolkitDecodeEvidence(_ data: ReferenceDecode) -> [EvidenceItem]? {
    let fixture = data.fixture
    let t = data.position, d = fixture.config.layer.modelDim
    guard let layer = try? fixture.layer.attentionLayer(), t >= 1,
      let x = try? Matrix(rows: t + 1, cols: d, doubles: Array(fixture.input[0..<((t + 1) * d)])),
      let prefix = try? Matrix(rows: t, cols: d, doubles: Array(fixture.input[0..<(t * d)])),
      let token = try? Matrix(rows: 1, cols: d, doubles: Array(fixture.input[(t * d)..<((t + 1) * d)])),
      let full = try? layer.forward(x, options: ForwardOptions(recordSelection: true)),
      let (_, cache) = try? layer.prefill([prefix], capacity: t + 1),
      let step = try? layer.decodeStep(token, cache: cache, options: ForwardOptions(recordSelection: true))
    else { return nil }
    func relative(_ a: [Double], _ b: [Double]) -> Double {
      zip(a, b).map { abs($0 - $1) }.max()! / max(b.map(abs).max() ?? 0, .leastNormalMagnitude)
    }
    let decoded = step.output.row(0).map(Double.init)
    let sameSelection = layer.variant.isSparse ? step.selected?[0] == full.selected?[t] : true
    return [
      EvidenceItem("toolkit decode vs its own prefill output (relative)", relative(decoded, full.output.row(t).map(Double.init))),
      EvidenceItem("toolkit decode vs the reference's prefill output (relative)", relative(decoded, data.prefillOutput)),
      EvidenceItem("toolkit decode keys equal to its prefill keys", sameSelection ? 1 : 0),
      EvidenceItem("toolkit decode k_t", Double(step.kPerSequence[0])),
    ]
  }
}
