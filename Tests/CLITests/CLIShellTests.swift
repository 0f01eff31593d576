import Foundation
import PropertyTesting
import Testing

@Suite struct CLIShellTests {
  @Test func helpPrintsUsageAndCommands() throws {
    let result = try ToolRunner.run(["--help"])
    #expect(result.exitCode == 0)
    #expect(result.stdout.contains("USAGE: gsa-theory <command>"))
    #expect(result.stdout.contains("doctor"))
    #expect(try ToolRunner.run([]).stdout == result.stdout)
  }

  @Test func everySubcommandHasHelp() throws {
    let list = try ToolRunner.run(["--help"]).stdout
    let commands = list.components(separatedBy: "COMMANDS:\n")[1].components(separatedBy: "\n\n")[0]
      .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0] }
    #expect(!commands.isEmpty)
    for command in commands {
      let help = try ToolRunner.run([String(command), "--help"])
      #expect(help.exitCode == 0, "\(command) --help")
      #expect(help.stdout.contains("USAGE: gsa-theory \(command)"))
      #expect(help.stdout.contains("--seed"))
    }
  }

  @Test func versionNamesToolAndGSL() throws {
    let result = try ToolRunner.run(["--version"])
    #expect(result.exitCode == 0)
    #expect(result.stdout.hasPrefix("gsa-theory "))
    #expect(result.stdout.contains("GSL 2."))
  }

  @Test func unknownCommandExitsTwoWithOneLine() throws {
    let result = try ToolRunner.run(["nonsense"])
    #expect(result.exitCode == 2)
    #expect(result.stdout.isEmpty)
    #expect(result.stderr.hasPrefix("error: unknown command 'nonsense'"))
    #expect(result.stderr.split(separator: "\n").count == 1)
  }

  @Test func closeMisspellingsGetSuggestions() throws {
    let command = try ToolRunner.run(["docter"])
    #expect(command.exitCode == 2)
    #expect(command.stderr.contains("did you mean 'doctor'?"))
    let flag = try ToolRunner.run(["doctor", "--formt", "json"])
    #expect(flag.exitCode == 2)
    #expect(flag.stderr.contains("did you mean '--format'?"))
  }

  @Test(arguments: [
    (["doctor", "--seed"], "needs a value"),
    (["doctor", "--seed", "-3"], "--seed"),
    (["doctor", "--seed", "abc"], "--seed"),
    (["doctor", "--format", "xml"], "valid values: table, json, csv"),
    (["doctor", "--output", ""], "--output"),
    (["doctor", "stray"], "unexpected argument"),
    (["doctor", "--help=yes"], "takes no value"),
    (["doctor", "--format", "json", "--format", "csv"], "given twice"),
    (["--bogus"], "unknown option"),
  ])
  func usageErrorsExitTwo(arguments: [String], message: String) throws {
    let result = try ToolRunner.run(arguments)
    #expect(result.exitCode == 2, "\(arguments)")
    #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1)
  }

  @Test func doctorReportsTheCanaryInEveryFormat() throws {
    let table = try ToolRunner.run(["doctor"])
    #expect(table.exitCode == 0)
    #expect(table.stdout.contains("1.22192121739814 ok"))
    let json = try ToolRunner.run(["doctor", "--format", "json"])
    let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    #expect(object?["schema_version"] as? Int == 1)
    let csv = try ToolRunner.run(["doctor", "--format=csv"])
    #expect(csv.stdout.hasPrefix("item,value\n"))
  }

  @Test func outputFileIsWrittenWholeAndErrorsAreClear() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gsa-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("doctor.json").path
    let result = try ToolRunner.run(["doctor", "--format", "json", "--output", path])
    #expect(result.exitCode == 0)
    #expect(result.stdout.isEmpty)
    let written = try String(contentsOfFile: path, encoding: .utf8)
    #expect(written.contains("\"schema_version\": 1"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["doctor.json"])
    let missing = try ToolRunner.run(["doctor", "--output", directory.path + "/no/such/dir/x.json"])
    #expect(missing.exitCode == 2)  // refused before any work starts
    #expect(missing.stderr.contains("does not exist"))
  }
}
