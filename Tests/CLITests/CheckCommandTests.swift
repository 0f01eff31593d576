import Foundation
import PropertyTesting
import Testing

@Suite struct CheckCommandTests {
  @Test func listNamesEveryGroupWithoutRunning() throws {
    let result = try ToolRunner.run(["check", "--list"])
    #expect(result.exitCode == 0)
    for id in ["CX-cost", "BD-gate-slope", "AK-direction", "EX-strict", "NM-spectral-init", "HL-abstract"] {
      #expect(result.stdout.contains(id))
    }
  }

  @Test func unknownIdExitsTwoNamingTheClosest() throws {
    let result = try ToolRunner.run(["check", "BD-gate-slop"])
    #expect(result.exitCode == 2)
    #expect(result.stdout.isEmpty)
    #expect(result.stderr.contains("closest: 'BD-gate-slope'"))
    #expect(result.stderr.split(separator: "\n").count == 1)
  }

  @Test func jsonCarriesSchemaAndPerClaimFields() throws {
    let result = try ToolRunner.run(["check", "BD-gate-slope", "HL-abstract", "--quick", "--format", "json", "--seed", "9"])
    #expect(result.exitCode == 0)
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
    #expect(object["schema_version"] as? Int == 1)
    let claims = object["claims"] as! [[String: Any]]
    #expect(claims.map { $0["id"] as! String } == ["BD-gate-slope", "HL-abstract"])
    for claim in claims {
      for key in ["id", "group", "statement", "source", "assumptions", "scope", "verdict", "evidence", "seed"] {
        #expect(claim[key] != nil, "\(key)")
      }
      let evidence = claim["evidence"] as! [[String: Any]]
      #expect(!evidence.isEmpty && evidence.allSatisfy { $0["name"] is String && $0["value"] is NSNumber })
    }
    #expect(claims[0]["verdict"] as? String == "holds")
    #expect(claims[1]["verdict"] as? String == "holds-with-correction")
  }

  @Test func csvHasOneRowPerClaimAndTableCounts() throws {
    let csv = try ToolRunner.run(["check", "bounds", "--quick", "--format", "csv"])
    #expect(csv.exitCode == 0)
    #expect(csv.stdout.hasPrefix("id,group,source,verdict,scope,seed,summary,evidence\n"))
    #expect(csv.stdout.contains("BD-layer-lipschitz,bounds,"))
    let table = try ToolRunner.run(["check", "adaptive-k", "--quick"])
    #expect(table.exitCode == 0)
    #expect(table.stdout.contains("3 claims:"))
  }
}
