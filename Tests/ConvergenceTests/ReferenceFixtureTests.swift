import Foundation
import GSAModel
import Testing

@testable import GSATheory

/// The committed fixtures of the reference implementation (scripts/reference/make_fixtures.py).
enum ReferenceFixtures {
  /// Tests/Fixtures/reference, found from this file's path (no Python, no network).
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/reference").path

  static func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

  static let layerCases = ["gsa-fixed", "gsa-adaptive", "sparse-only", "gated-only", "gqa4", "long512"]

  /// max_i |a_i − b_i| / max_i |b_i| (the relative error in the max norm).
  static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    var diff = 0.0, scale = 0.0
    for (x, y) in zip(a, b) {
      diff = max(diff, abs(x - y))
      scale = max(scale, abs(y))
    }
    return diff / scale
  }

  /// Rows `rows` of an L × D row-major array.
  static func rows(_ values: [Double], _ rows: [Int], width: Int) -> [Double] {
    rows.flatMap { values[($0 * width)..<(($0 + 1) * width)] }
  }
}

/// Ties between two selections: for each query whose sets differ, every key in one set but not the
/// other must score equal to the query's k_t-th score (within `tolerance`, float64 scores).
struct TieReport {
  var differingQueries = 0
  var differingKeys = 0
  var nonTies: [(query: Int, key: Int, gap: Double)] = []
  /// Queries that drop a candidate whose score ties the k_t-th one (where a tie-break matters).
  var tiedQueries = 0

  init(ours: Selection, theirs: Selection, scores: [Double], length l: Int, tolerance: Double = 1e-12) {
    for t in 0..<l where ours.sets[t].count <= t {
      let kth = ours.sets[t].map { scores[t * l + $0] }.min() ?? 0
      let chosen = Set(ours.sets[t])
      if (0...t).contains(where: { !chosen.contains($0) && abs(scores[t * l + $0] - kth) <= tolerance * max(1, abs(kth)) }) {
        tiedQueries += 1
      }
    }
    for t in 0..<l where ours.sets[t] != theirs.sets[t] {
      differingQueries += 1
      let a = Set(ours.sets[t]), b = Set(theirs.sets[t])
      let kth = ours.sets[t].map { scores[t * l + $0] }.min() ?? 0
      for key in a.symmetricDifference(b) {
        differingKeys += 1
        let gap = abs(scores[t * l + key] - kth)
        if gap > tolerance * max(1, abs(kth)) { nonTies.append((t, key, gap)) }
      }
    }
  }
}

@Suite("reference fixtures: the toolkit's layers reproduce the reference implementation")
struct ReferenceFixtureTests {
  /// The variant the toolkit runs for a case: the gated-only case (k ≥ L) also through the dense
  /// gated kernel.
  static func variants(_ name: String, _ fixture: ReferenceFixture) -> [Variant] {
    name == "gated-only" ? [fixture.layer.variant, .gatedOnly] : [fixture.layer.variant]
  }

  @Test(
    "float32 AttentionLayer: output within 1e-5 relative, k_t identical, selections identical up to ties",
    arguments: ReferenceFixtures.layerCases)
  func float32Layer(name: String) throws {
    let fixture = try ReferenceFixture(path: ReferenceFixtures.path("\(name).safetensors"))
    let c = fixture.config.layer, l = fixture.length, d = c.modelDim
    let float64 = DifferentiableLayer(parameters: fixture.layer.parameters)
    let scores = float64.indexerScores(fixture.input, length: l)
    for variant in Self.variants(name, fixture) {
      let layer = try fixture.layer.attentionLayer(variant: variant)
      let x = try Matrix(rows: l, cols: d, doubles: fixture.input)
      let result = try layer.forward(x, options: ForwardOptions(recordSelection: true))
      let output = result.output.storage.map(Double.init)
      #expect(result.kPerQuery == fixture.kPerQuery, "\(name) \(variant.rawValue): k_t")
      let ours = Selection(sets: result.selected ?? (0..<l).map { Array(0...$0) })
      let ties = TieReport(ours: ours, theirs: fixture.selection, scores: scores, length: l)
      #expect(ties.nonTies.isEmpty, "\(name) \(variant.rawValue): selection differences that are not ties: \(ties.nonTies.prefix(5))")
      // Queries whose S_t differ by a tie attend to other keys: compare the output on the others
      // (the float64 test compares every row under the reference's own S_t).
      let same = (0..<l).filter { ours.sets[$0] == fixture.selection.sets[$0] }
      let error = ReferenceFixtures.relativeError(
        ReferenceFixtures.rows(output, same, width: d), ReferenceFixtures.rows(fixture.output, same, width: d))
      print(
        "reference \(name) \(variant.rawValue) float32: max relative error \(error), queries with a tie at the k-th score \(ties.tiedQueries), differing queries \(ties.differingQueries), keys \(ties.differingKeys)"
      )
      #expect(error <= 1e-5, "\(name) \(variant.rawValue): float32 relative error \(error)")
      #expect(same.count + ties.differingQueries == l)
    }
  }

  @Test(
    "float64 DifferentiableLayer: output to the reference's float32-RoPE floor, k_t and selections identical up to ties",
    arguments: ReferenceFixtures.layerCases)
  func float64Layer(name: String) throws {
    let fixture = try ReferenceFixture(path: ReferenceFixtures.path("\(name).safetensors"))
    let l = fixture.length
    let layer = DifferentiableLayer(parameters: fixture.layer.parameters)
    let (ours, k) = layer.ruleSelection(fixture.input, length: l)
    #expect(k == fixture.kPerQuery, "\(name): k_t")
    let scores = layer.indexerScores(fixture.input, length: l)
    let ties = TieReport(ours: ours, theirs: fixture.selection, scores: scores, length: l)
    #expect(ties.nonTies.isEmpty, "\(name): selection differences that are not ties: \(ties.nonTies.prefix(5))")
    // Under the reference's own S_t every row is comparable; under our selection, the rows
    // without a tie difference must give the same output too.
    let underTheirs = layer.forward(fixture.input, length: l, selection: fixture.selection).output
    let error = ReferenceFixtures.relativeError(underTheirs, fixture.output)
    let underOurs = layer.forward(fixture.input, length: l, selection: ours).output
    let same = (0..<l).filter { ours.sets[$0] == fixture.selection.sets[$0] }
    let errorOurs = ReferenceFixtures.relativeError(
      ReferenceFixtures.rows(underOurs, same, width: fixture.config.layer.modelDim),
      ReferenceFixtures.rows(fixture.output, same, width: fixture.config.layer.modelDim))
    print(
      "reference \(name) float64: max relative error \(error) (own selection: \(errorOurs)), queries with a tie at the k-th score \(ties.tiedQueries), differing queries \(ties.differingQueries), keys \(ties.differingKeys)"
    )
    #expect(error <= 1e-6, "\(name): float64 relative error \(error)")
    #expect(errorOurs <= 1e-6, "\(name): float64 relative error under the toolkit's selection \(errorOurs)")
  }

  @Test("the comparison can fail: a perturbed bias moves the output past the tolerance")
  func perturbationDetected() throws {
    let fixture = try ReferenceFixture(path: ReferenceFixtures.path("gsa-fixed.safetensors"))
    var parameters = fixture.layer.parameters
    parameters[.bGateO][0] += 1e-3
    let layer = DifferentiableLayer(parameters: parameters)
    let output = layer.forward(fixture.input, length: fixture.length, selection: fixture.selection).output
    #expect(ReferenceFixtures.relativeError(output, fixture.output) > 1e-6)
  }
}
