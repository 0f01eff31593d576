import Foundation
import PropertyTesting
import Testing

@Suite struct DecodeCommandTests {
  /// A tiny decode sweep: every point's counted ledger equals the prediction, bytes sit in both.
  @Test func decodeSweepCarriesBytesAndMatchesTheModel() throws {
    let run = try runGSATheory([
      "sweep", "--phase", "decode", "--preset", "tiny", "--lengths", "64,128,256", "--batch", "2", "--repeats", "1",
      "--peak-gflops", "100", "--triad-gbs", "10", "--format", "json",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try jsonObject(run.stdout)
    #expect(json["phase"] as? String == "decode")
    let points = try #require(json["points"] as? [[String: Any]])
    #expect(points.count == 12)
    for point in points {
      #expect(point["counted_equals_predicted"] as? Bool == true)
      let counted = try #require(point["counted"] as? [String: Any])
      let total = try #require((counted["total"] as? [String: Any])?["bytes"] as? [String: Any])
      #expect((total["compulsory"] as? Int ?? 0) > 0)
      #expect(point["batch"] as? Int == 2)
    }
    let fits = try #require(json["fits"] as? [String: Any])
    #expect(fits["dense"] != nil && fits["gsa"] != nil)
  }

  @Test func predictDecodeAtThePaperConfiguration() throws {
    let run = try runGSATheory(["predict", "--phase", "decode", "--batch", "1", "--dtype", "bf16", "--format", "json"])
    #expect(run.status == 0)
    let json = try jsonObject(run.stdout)
    let variants = try #require(json["variants"] as? [String: Any])
    let gsa = try #require(variants["gsa"] as? [String: Any])
    let dense = try #require(variants["dense"] as? [String: Any])
    // Dense reads every cached K and V row: 2 · 131073 · H_kv·d_h (1024) bf16 elements = 512 MiB.
    #expect(dense["cache_bytes_per_sequence"] as? Int == 2 * 131_073 * 1024 * 2)
    let atOne = try #require(gsa["bytes_speedup_over_dense"] as? Double)
    let limit = try #require(gsa["bytes_speedup_limit_large_batch"] as? Double)
    #expect(atOne > 3 && atOne < limit)
    #expect(json["element_bytes"] as? Int == 2)
  }

  @Test func badDecodeOptionsExitTwoWithOneLine() throws {
    let cases: [[String]] = [
      ["sweep", "--phase", "decode", "--batch", "0"],
      ["sweep", "--phase", "foo"],
      ["sweep", "--batch", "4"],
      ["predict", "--phase", "decode", "--dtype", "x"],
      ["predict", "--batch", "2"],
      ["sweep", "--phase", "decode", "--lengths", "16", "--shard", "1/2"],
    ]
    for arguments in cases {
      let run = try runGSATheory(arguments)
      #expect(run.status == 2, "\(arguments)")
      #expect(run.stderr.split(separator: "\n").count == 1, "\(arguments): \(run.stderr)")
    }
  }

  @Test func decodeBeyondMemoryIsRefusedUpFront() throws {
    let run = try ToolRunner.run(
      ["sweep", "--phase", "decode", "--lengths", "1m", "--batch", "64"], environment: ["GSA_THEORY_MEMORY_AVAILABLE": "64m"])
    #expect(run.exitCode == 2)
    #expect(run.stderr.contains("--lengths") && run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
  }
}
