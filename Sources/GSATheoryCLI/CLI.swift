import Foundation
import GSLKit

/// The `gsa-theory` command-line tool: parses, dispatches to a subcommand, formats, and maps
/// outcomes to exit codes (0 ok, 1 a check failed or could not run, 2 usage error).
public enum CLI {
  public static let version = "0.1.0"

  /// Every subcommand, in the order `--help` lists them.
  public static var commands: [Command] { Commands.all }

  /// Runs the tool on `arguments` (without the program name) and returns the exit code.
  /// Errors go to stderr as one line; the report goes to stdout or `--output`.
  public static func main(_ arguments: [String]) -> Int32 {
    installSignalHandlers()
    do {
      return try run(arguments)
    } catch let error as UsageError {
      printError("error: \(error.message)")
      return 2
    } catch let error as CommandFailure {
      printError("error: \(error.message)")
      return 1
    } catch let error as GSLError {
      printError("error: \(error.description)")
      return 1
    } catch {
      printError("error: \(error)")
      return 1
    }
  }

  static func run(_ arguments: [String]) throws -> Int32 {
    guard let first = arguments.first else {
      FileHandle.standardOutput.write(Data(toolHelp.utf8))
      return 0
    }
    switch first {
    case "--help", "-h", "help":
      if arguments.count > 1, first == "help" {
        guard let command = commands.first(where: { $0.name == arguments[1] }) else {
          throw UsageError(
            "unknown command '\(arguments[1])'\(suggestion(for: arguments[1], among: commands.map(\.name))); run 'gsa-theory --help' for the list"
          )
        }
        FileHandle.standardOutput.write(Data(command.help.utf8))
        return 0
      }
      FileHandle.standardOutput.write(Data(toolHelp.utf8))
      return 0
    case "--version":
      FileHandle.standardOutput.write(Data("gsa-theory \(version) (GSL \(GSLInfo.version))\n".utf8))
      return 0
    default:
      break
    }
    guard let command = commands.first(where: { $0.name == first }) else {
      if first.hasPrefix("-") {
        throw UsageError(
          "unknown option '\(first)'\(suggestion(for: first, among: ["--help", "--version"])); options come after a command, see 'gsa-theory --help'"
        )
      }
      throw UsageError(
        "unknown command '\(first)'\(suggestion(for: first, among: commands.map(\.name))); run 'gsa-theory --help' for the list")
    }
    let options = try ParsedOptions.parse(
      Array(arguments.dropFirst()), specs: command.allOptions, allowsPositionals: command.positionals != nil, command: command.name)
    if options.flag("--help") {
      FileHandle.standardOutput.write(Data(command.help.utf8))
      return 0
    }
    let seed = try parseSeed(options.string("--seed"))
    let format = OutputFormat(rawValue: try options.choice("--format", OutputFormat.allCases.map(\.rawValue), default: "table"))!
    let output = options.string("--output")
    let jsonOutput = options.string("--json")
    for (flag, path) in [("--output", output), ("--json", jsonOutput)] where path?.isEmpty == true {
      throw UsageError("\(flag): empty file name; give a path such as results.json")
    }
    let invocation = Invocation(
      command: command.name, options: options, seed: seed, format: format,
      progress: Progress(enabled: isatty(STDERR_FILENO) == 1))
    let result = try command.run(invocation)
    let text = try result.report.rendered(as: format, command: command.name)
    if let jsonOutput { try writeAtomically(result.report.json.serialized() + "\n", to: jsonOutput) }
    if let output {
      try writeAtomically(text, to: output)
    } else {
      FileHandle.standardOutput.write(Data(text.utf8))
    }
    return result.exitCode
  }

  static func parseSeed(_ raw: String?) throws(UsageError) -> UInt64 {
    guard let raw else { return 42 }
    let text = raw.lowercased()
    let value = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    guard let value else { throw UsageError("--seed: expected a non-negative integer (decimal or 0x hex) below 2^64, got '\(raw)'") }
    return value
  }

  static var toolHelp: String {
    var lines = [
      "OVERVIEW: gsa-theory \(version): checks the theory of \"Gated Sparse Attention\" (arXiv 2601.15305) by computation.",
      "",
      "USAGE: gsa-theory <command> [options]",
      "",
      "COMMANDS:",
    ]
    for command in commands { lines.append("  " + command.name.padding(toLength: 20, withPad: " ", startingAt: 0) + command.abstract) }
    lines += [
      "",
      "OPTIONS:",
      "  --help                  Show help; 'gsa-theory <command> --help' for a command.",
      "  --version               Show the version and the linked GSL version.",
      "",
      "Every command accepts --seed N, --format table|json|csv and --output FILE.",
      "EXIT STATUS: 0 ok, 1 a check failed or could not run, 2 usage error.",
    ]
    return lines.joined(separator: "\n") + "\n"
  }

  static func printError(_ line: String) {
    let oneLine = line.replacingOccurrences(of: "\n", with: " ")
    FileHandle.standardError.write(Data((oneLine + "\n").utf8))
  }

  /// SIGINT/SIGTERM: remove any half-written output file, then exit with 128 + signal.
  private static func installSignalHandlers() {
    for signalNumber in [SIGINT, SIGTERM] {
      signal(signalNumber, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
      source.setEventHandler {
        TemporaryFiles.removeAll()
        _exit(128 + signalNumber)
      }
      source.resume()
      SignalSources.keep(source)
    }
  }
}

/// Keeps signal sources alive for the life of the process.
private enum SignalSources {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
  static func keep(_ source: any DispatchSourceSignal) { lock.withLock { sources.append(source) } }
}
