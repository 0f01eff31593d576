import Foundation
import GSAModel
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
    // Repeated forwards reuse freed buffers instead of timing the kernel's page zeroing.
    MemoryPolicy.keepFreedMemory()
    do {
      return try run(arguments)
    } catch let error as UsageError {
      printError("error: \(error.message)")
      return 2
    } catch let error as ConfigError {
      // An invalid layer configuration that escaped a command's own flag mapping: still a
      // usage error (the flags describe an impossible layer).
      printError("error: \(error.description)")
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

  /// What an argument list asks for, decided without side effects (no output, no work):
  /// the pure parse-and-validate step, which the in-process fuzz test calls directly.
  public enum Plan: Sendable {
    /// Print this text on stdout and exit 0 (help, version).
    case show(String)
    /// Run `command` with `invocation`; then write the report to `output` (or stdout) and
    /// the JSON report to `jsonOutput` if given.
    case run(Command, Invocation, output: String?, jsonOutput: String?)
  }

  /// Parses `arguments` (without the program name) and validates everything that does not
  /// depend on the command's own options: the command name, the option syntax, `--seed`,
  /// `--format` and the `--output`/`--json` paths (their directories must exist and be
  /// writable, so a long run never fails only at the end). Never prints, never exits.
  public static func prepare(_ arguments: [String]) throws(UsageError) -> Plan {
    guard let first = arguments.first else { return .show(toolHelp) }
    switch first {
    case "--help", "-h", "help":
      if arguments.count > 1, first == "help" {
        guard let command = commands.first(where: { $0.name == arguments[1] }) else {
          throw UsageError(
            "unknown command '\(arguments[1])'\(suggestion(for: arguments[1], among: commands.map(\.name))); run 'gsa-theory --help' for the list"
          )
        }
        return .show(command.help)
      }
      return .show(toolHelp)
    case "--version":
      return .show("gsa-theory \(version) (GSL \(GSLInfo.version))\n")
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
    if options.flag("--help") { return .show(command.help) }
    let seed = try parseSeed(options.string("--seed"))
    let format = OutputFormat(
      rawValue: try options.choice("--format", OutputFormat.allCases.map(\.rawValue), default: command.defaultFormat.rawValue))!
    let output = options.string("--output")
    let jsonOutput = options.string("--json")
    for (flag, path) in [("--output", output), ("--json", jsonOutput)] {
      if let path { try OutputPath.validate(path, flag: flag) }
    }
    if let output, let jsonOutput, OutputPath.same(output, jsonOutput) {
      throw UsageError("--json: '\(jsonOutput)' is also the --output file; give the JSON report its own file")
    }
    let invocation = Invocation(
      command: command.name, options: options, seed: seed, format: format,
      progress: Progress(enabled: isatty(STDERR_FILENO) == 1))
    return .run(command, invocation, output: output, jsonOutput: jsonOutput)
  }

  static func run(_ arguments: [String]) throws -> Int32 {
    switch try prepare(arguments) {
    case .show(let text):
      try StandardStreams.writeOutput(text)
      return 0
    case .run(let command, let invocation, let output, let jsonOutput):
      let width = TableWidth.resolve(
        wide: invocation.options.flag("--wide"), environment: ProcessInfo.processInfo.environment,
        terminalColumns: output == nil ? TableWidth.terminalColumns() : nil)
      let result = try TableWidth.$limit.withValue(width) { try command.run(invocation) }
      let text = try result.report.rendered(as: invocation.format, command: command.name)
      if let jsonOutput { try writeAtomically(result.report.json.serialized() + "\n", to: jsonOutput) }
      if let output {
        try writeAtomically(text, to: output)
      } else {
        try StandardStreams.writeOutput(text)
      }
      if result.exitCode != 0, let note = result.failureNote { StandardStreams.writeError("\(command.name): \(note)\n") }
      return result.exitCode
    }
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
      "Every command accepts --seed N, --format table|json|csv, --output FILE and --wide (tables at full width).",
      "EXIT STATUS: 0 ok, 1 a check failed or could not run, 2 usage error.",
    ]
    return lines.joined(separator: "\n") + "\n"
  }

  static func printError(_ line: String) {
    StandardStreams.writeError(oneLine(line) + "\n")
  }

  /// `text` as a single terminal line: line breaks (\n, \r, U+2028, ...) become spaces and
  /// other control characters are escaped as `\u{..}`, so an echoed argument can neither
  /// split an error message nor move the cursor.
  public static func oneLine(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      switch scalar.value {
      case 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029: out.append(" ")
      case 0x00..<0x20, 0x7F, 0x80..<0xA0: out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
      default: out.append(scalar)
      }
    }
    return String(out)
  }

  /// SIGINT/SIGTERM: remove any half-written output file, then exit with 128 + signal.
  ///
  /// The handler runs on its own serial queue: such a queue may start a new thread even when
  /// a long computation keeps every worker of the global pool busy (concurrentPerform), so
  /// an interrupt is honoured promptly mid-run. Installed once per process.
  private static func installSignalHandlers() {
    SignalSources.installOnce {
      // A reader that goes away (`| head`) makes write(2) fail with EPIPE, reported as an error,
      // instead of killing the process with SIGPIPE.
      signal(SIGPIPE, SIG_IGN)
      for signalNumber in [SIGINT, SIGTERM] {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: SignalSources.queue)
        source.setEventHandler {
          TemporaryFiles.removeAll()
          _exit(128 + signalNumber)
        }
        source.resume()
        SignalSources.keep(source)
      }
    }
  }
}

/// Keeps signal sources alive for the life of the process.
private enum SignalSources {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
  nonisolated(unsafe) private static var installed = false
  static let queue = DispatchQueue(label: "gsa-theory.signals", qos: .userInteractive)
  static func keep(_ source: any DispatchSourceSignal) { lock.withLock { sources.append(source) } }
  static func installOnce(_ install: () -> Void) {
    let first = lock.withLock {
      defer { installed = true }
      return !installed
    }
    if first { install() }
  }
}
