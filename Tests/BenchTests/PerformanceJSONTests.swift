import Foundation
import GSAModel
import GSATheory
import Testing

@testable import gsa_bench

/// gsa-bench's JSON encoder (`PerformanceJSON`): valid, ordered, lossless for the shapes the
/// benchmark result holds. Parsed back with Foundation's independent JSON parser.
@Suite struct PerformanceJSONTests {
  private func parse(_ value: PerformanceJSON) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(value.serialized().utf8), options: [.fragmentsAllowed])
  }

  @Test func snakeCaseKeys() {
    #expect(PerformanceJSON.snakeCase("medianSeconds") == "median_seconds")
    #expect(PerformanceJSON.snakeCase("executedGFLOPS") == "executed_gflops")
    #expect(PerformanceJSON.snakeCase("loadAverageBefore") == "load_average_before")
    #expect(PerformanceJSON.snakeCase("k") == "k")
    #expect(PerformanceJSON.snakeCase("fmaPerThread") == "fma_per_thread")
  }

  @Test func stringsAreEscapedAndNonFiniteBecomesNull() throws {
    let text = "quote \" backslash \\ newline \n tab \t bell \u{07} ≥ 60%"
    let value = PerformanceJSON.object([
      ("text", .string(text)), ("nan", .number(.nan)), ("inf", .number(.infinity)), ("x", .number(0.1)),
    ])
    let parsed = try #require(try parse(value) as? [String: Any])
    #expect(parsed["text"] as? String == text)
    #expect(parsed["nan"] is NSNull)
    #expect(parsed["inf"] is NSNull)
    #expect(parsed["x"] as? Double == 0.1)
  }

  @Test func keysKeepDeclarationOrder() {
    struct Sample { let zeta = 1, alphaBeta = [3, 2], gamma: Int? = nil }
    let text = PerformanceJSON.encode(Sample()).serialized()
    let positions = ["\"zeta\"", "\"alpha_beta\"", "\"gamma\""].map { text.range(of: $0)?.lowerBound }
    #expect(positions.allSatisfy { $0 != nil })
    #expect(positions[0]! < positions[1]! && positions[1]! < positions[2]!)
    #expect(text.contains("\"gamma\": null"))
  }

  @Test func lengthKeyedDictionariesBecomeSortedArrays() throws {
    struct Entry { let seconds: [Double] }
    let byLength: [Int: Entry] = [4096: Entry(seconds: [2, 3]), 512: Entry(seconds: [1]), 2048: Entry(seconds: [])]
    let parsed = try #require(try parse(PerformanceJSON.encode(byLength)) as? [[String: Any]])
    #expect(parsed.map { $0["length"] as? Int } == [512, 2048, 4096])
    #expect(parsed[2]["seconds"] as? [Double] == [2, 3])
    let scalars = try #require(try parse(PerformanceJSON.encode([3: "c", 1: "a"])) as? [[String: Any]])
    #expect(scalars.map { $0["value"] as? String } == ["a", "c"])
  }

  @Test func ledgerHasEveryBucketAndItsTotal() throws {
    var ledger = FlopLedger()
    ledger.add(.indexer, FlopCounts(flops: 70, transcendentals: 2))
    ledger.add(.selection, FlopCounts(comparisons: 5))
    ledger.addExecuted(.indexer, FlopCounts(flops: 30))
    let parsed = try #require(try parse(PerformanceJSON.encode(ledger)) as? [String: [String: [String: Int]]])
    for side in ["useful", "executed"] {
      let buckets = try #require(parsed[side])
      #expect(Set(buckets.keys) == Set(FlopBucket.allCases.map(\.rawValue) + ["total"]))
      for field in ["flops", "transcendentals", "comparisons"] {
        let sum = FlopBucket.allCases.reduce(0) { $0 + (buckets[$1.rawValue]?[field] ?? -1_000_000) }
        #expect(buckets["total"]?[field] == sum)
      }
    }
    #expect(parsed["useful"]?["total"]?["flops"] == 70)
    #expect(parsed["executed"]?["total"]?["flops"] == 100)
    #expect(parsed["useful"]?["selection"]?["comparisons"] == 5)
  }

  @Test func rooflineStatisticsCarryEveryRepeat() throws {
    let stats = Roofline.Statistics(values: [3, 1, 2, 10])
    let parsed = try #require(try parse(PerformanceJSON.encode(stats)) as? [String: Any])
    #expect(parsed["values"] as? [Double] == [3, 1, 2, 10])
    #expect(parsed["best"] as? Double == 10)
    #expect(parsed["median"] as? Double == 2.5)
    #expect(parsed["worst"] as? Double == 1)
  }

  @Test func smokeOptionsKeepEnoughLengthsForAFit() {
    var options = PerformanceBenchmark.Options()
    options.applySmoke()
    #expect(options.fitLengths.count >= 3)
    #expect(options.fitLengths.contains(options.speedupLength))
    #expect(options.denseLengths.allSatisfy { options.fitLengths.contains($0) })
  }

  @Test func jsonPathResolution() throws {
    #expect(try resolvedJSONPath(nil, output: "/tmp/elsewhere.md") == nil)
    #expect(try resolvedJSONPath("/tmp/x.json", output: "/tmp/elsewhere.md") == "/tmp/x.json")
    #expect(throws: BenchUsageError.self) { try resolvedJSONPath("/nonexistent-dir-gsa/x.json", output: "a.md") }
  }

  @Test func everyFigureIsEmbeddedWithACaption() {
    for f in PerformanceFigure.allCases {
      let lines = figure(f)
      #expect(lines.first == "![\(f.title)](figures/\(f.rawValue).png)")
      #expect(lines.contains("*\(f.caption)*"))
    }
  }
}
