import Foundation

/// Everything a command needs at run time: its parsed options and the common settings.
public struct Invocation: Sendable {
  public let command: String
  public let options: ParsedOptions
  /// `--seed`: the root of every random draw the command makes.
  public let seed: UInt64
  public let format: OutputFormat
  /// Progress lines for stderr; a no-op unless stderr is a terminal.
  public let progress: Progress
}

/// What a command returns: the report to print and whether everything it had to do succeeded.
public struct CommandResult: Sendable {
  public var report: Report
  /// 0 ok, 1 a check failed or could not run.
  public var exitCode: Int32
  /// With a non-zero exit: the one line for stderr that says why (the report has the detail).
  public var failureNote: String?

  public init(report: Report, exitCode: Int32 = 0, failureNote: String? = nil) {
    self.report = report
    self.exitCode = exitCode
    self.failureNote = failureNote
  }
}

/// One subcommand: its name, help text, options and the function that runs it.
public struct Command: Sendable {
  public let name: String
  public let abstract: String
  public let discussion: String
  public let options: [OptionSpec]
  /// Names of positional arguments, for help (e.g. "[CLAIM-ID|GROUP ...]"); nil when none.
  public let positionals: String?
  public let examples: [String]
  /// The `--format` used when none is given (`merge` writes JSON; every other command a table).
  public let defaultFormat: OutputFormat
  public let run: @Sendable (Invocation) throws -> CommandResult

  public init(
    name: String, abstract: String, discussion: String = "", options: [OptionSpec] = [], positionals: String? = nil,
    examples: [String] = [], defaultFormat: OutputFormat = .table, run: @escaping @Sendable (Invocation) throws -> CommandResult
  ) {
    self.name = name
    self.abstract = abstract
    self.discussion = discussion
    self.options = options
    self.positionals = positionals
    self.examples = examples
    self.defaultFormat = defaultFormat
    self.run = run
  }

  /// The command's own options followed by the common ones (--seed, --format, --output, --json, --help).
  public var allOptions: [OptionSpec] {
    options + CommonOptions.all.map { $0.name == "--format" && defaultFormat != .table ? CommonOptions.format(default: defaultFormat) : $0 }
  }

  var help: String {
    var lines = ["OVERVIEW: \(abstract)", ""]
    if !discussion.isEmpty { lines += [discussion, ""] }
    lines.append("USAGE: gsa-theory \(name) [options]\(positionals.map { " " + $0 } ?? "")")
    lines += ["", "OPTIONS:"]
    for option in allOptions {
      let head = "  " + option.name + (option.valueName.map { " <\($0)>" } ?? "")
      let text = option.help + (option.defaultValue.map { " (default: \($0))" } ?? "")
      lines.append(
        head.count < 28
          ? head.padding(toLength: 28, withPad: " ", startingAt: 0) + text : head + "\n" + String(repeating: " ", count: 28) + text)
    }
    if !examples.isEmpty {
      lines += ["", "EXAMPLES:"] + examples.map { "  " + $0 }
    }
    lines += ["", "EXIT STATUS: 0 ok, 1 a check failed or could not run, 2 usage error."]
    return lines.joined(separator: "\n") + "\n"
  }
}

/// Progress reporting on stderr, shown only when stderr is a terminal.
public struct Progress: Sendable {
  let enabled: Bool

  public static let disabled = Progress(enabled: false)

  public func update(_ done: Int, of total: Int, _ label: String) {
    guard enabled, total > 0 else { return }
    let width = 30
    let filled = min(width, done * width / total)
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    StandardStreams.writeError("\r[\(bar)] \(done)/\(total) \(label)\u{1B}[K")
    if done >= total { StandardStreams.writeError("\n") }
  }
}
