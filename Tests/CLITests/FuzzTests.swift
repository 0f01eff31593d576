import Foundation
import GSATheoryCLI
import PropertyTesting
import Testing

/// The CLI fuzz test (docs/reliability.md): seeded, bounded in cases and time.
///
/// Commands and their options are discovered from the help texts, so commands added later
/// are fuzzed without touching this file. Two layers:
/// - in process: `CLI.prepare` (the pure parse-and-validate step) and every typed accessor on
///   every value, thousands of cases in a second or two;
/// - real processes: the built binary, with the exit-code, stderr and file-system contract
///   checked per case, under a time budget.
/// Replay: `GSA_FUZZ_SEED=<seed> [GSA_FUZZ_CASE=<index>] swift test --filter FuzzTests`.
@Suite(.serialized) struct FuzzTests {
  @Test func inProcessParseAndValidateNeverCrashesAndErrorsAreOneLineNamingTheFlag() throws {
    let settings = FuzzSettings.current
    let commands = CLI.commands.map { command in
      FuzzCommand(
        name: command.name, options: command.allOptions.map { FuzzOption(name: $0.name, valueName: $0.valueName) },
        takesPositionals: command.positionals != nil)
    }
    var tally = [String: Int]()
    var failures = [String]()
    for index in 0..<settings.inProcessCases {
      var random = FuzzRandom(master: settings.seed, index: index)
      let arguments = FuzzArguments.random(&random, commands: commands, allowNUL: true)
      func fail(_ why: String) {
        if failures.count < 20 { failures.append("case \(index) \(FuzzArguments.literal(arguments)): \(why)") }
      }
      do {
        switch try CLI.prepare(arguments) {
        case .show(let text):
          tally["show", default: 0] += 1
          if text.isEmpty { fail("empty help/version text") }
        case .run(_, let invocation, _, _):
          tally["run", default: 0] += 1
          // Every typed accessor on every value: returns, or throws one line naming the flag.
          for (name, _) in invocation.options.values {
            for accessor in Accessor.allCases {
              do {
                try accessor.apply(invocation.options, name)
              } catch {
                if !error.message.hasPrefix(name + ":") { fail("\(accessor) error does not name \(name): \(error.message)") }
                checkOneLine(error.message, fail)
              }
            }
          }
        }
      } catch {
        tally["usage-error", default: 0] += 1
        checkOneLine(error.message, fail)
      }
    }
    let summary = tally.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    print("in-process fuzz: \(settings.inProcessCases) cases (seed 0x\(String(settings.seed, radix: 16))): \(summary)")
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    #expect((tally["usage-error"] ?? 0) > 0 && (tally["run"] ?? 0) > 0, "the generator must reach both outcomes: \(summary)")
  }

  @Test func memoryGuardFuzzNeverCrashesAndNamesTheFlag() {
    var random = FuzzRandom(seed: FuzzSettings.current.seed)
    for _ in 0..<2_000 {
      let lengths = (0..<random.below(4)).map { _ in random.pick([0, 1, 2, 7, 4096, 131_072, 1 << 24, Int.max, -5]) }
      let perToken = random.pick([0.0, 1, 1e3, 1e6, 1e12, .infinity, .nan, -1])
      let available = random.pick([0, 1, 1 << 20, 1 << 34, UInt64.max] as [UInt64])
      do {
        try MemoryGuard.check(lengths: lengths, flag: "--lengths", what: "sweep", available: available) { Double($0) * perToken }
      } catch {
        #expect(error.message.hasPrefix("--lengths:"), "\(error.message)")
        #expect(!error.message.contains("\n"))
      }
    }
    #expect(MemoryGuard.memAvailable(fromMeminfo: "MemTotal: 10 kB\nMemAvailable:    2048 kB\n") == 2048 * 1024)
    #expect(MemoryGuard.memAvailable(fromMeminfo: "MemAvailable: garbage\n") == nil)
    #expect(MemoryGuard.memAvailable(fromMeminfo: "") == nil)
  }

  @Test func processFuzzOfEveryDiscoveredCommand() throws {
    let settings = FuzzSettings.current
    let toolHelp = try ToolRunner.run(["--help"]).stdout
    let names = HelpParser.commands(fromToolHelp: toolHelp)
    #expect(!names.isEmpty)
    let commands = try names.map { HelpParser.command($0, fromHelp: try ToolRunner.run([$0, "--help"]).stdout) }
    for command in commands { #expect(command.options.contains { $0.name == "--seed" }, "\(command.name) help lists its options") }

    let state = FuzzState()
    let start = Date()
    let binary = ToolRunner.binaryPath
    let indices = settings.onlyCase.map { [$0] } ?? Array(0..<settings.processCases)
    let workers = max(1, min(2, ProcessInfo.processInfo.activeProcessorCount))
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      while let index = state.nextIndex(of: indices), Date().timeIntervalSince(start) < settings.processSeconds ?? .infinity {
        var random = FuzzRandom(master: settings.seed ^ 0x5EED, index: index)
        let fuzzCase = ProcessCase.generate(&random, commands: commands, expensive: state.expensive)
        do {
          try runProcessCase(fuzzCase, index: index, binary: binary, state: state)
        } catch {
          state.fail("case \(index) \(FuzzArguments.literal(fuzzCase.arguments)): could not run: \(error)")
        }
      }
    }
    let elapsed = Date().timeIntervalSince(start)
    let report = state.report()
    print(
      "process fuzz: \(report.cases) cases in \(String(format: "%.1f", elapsed)) s (seed 0x\(String(settings.seed, radix: 16)), "
        + "\(commands.count) commands: \(names.joined(separator: " "))): \(report.tally); expensive: \(report.expensive)")
    for note in state.allNotes { print("process fuzz: \(note)") }
    #expect(report.failures.isEmpty, "\(report.failures.joined(separator: "\n"))")
    // Every case runs unless a time budget (GSA_FUZZ_SECONDS) was set.
    if settings.processSeconds == nil { #expect(report.cases == indices.count, "ran \(report.cases) of \(indices.count) cases") }
  }

  /// Runs one case and checks the contract: no signal, exit in {0, 1, 2} (143 only when the
  /// fuzzer terminated it), stderr for every non-zero exit, exactly one line and empty stdout
  /// for exit 2, no file created by a usage error, no temporary file left behind ever.
  private func runProcessCase(_ fuzzCase: ProcessCase, index: Int, binary: String, state: FuzzState) throws {
    let scratch = try ScratchDirectory("fuzz")
    defer { scratch.remove() }
    let result = try ToolRunner.run(
      fuzzCase.arguments, environment: ["GSA_THEORY_MEMORY_AVAILABLE": "512m"], currentDirectory: scratch.path, binary: binary,
      deadline: fuzzCase.deadline)
    let label = "case \(index) [\(fuzzCase.mode)] \(FuzzArguments.literal(fuzzCase.arguments))"
    let stderr = result.stderr
    if result.timedOut {
      state.record("timeout")
      state.note("timed out: \(label)")
      if let command = fuzzCase.command { state.markExpensive(command) }
      if fuzzCase.mode == .oneInvalidValue { state.fail("\(label): started work despite an invalid value (timed out)") }
      // 143: the tool's handler ran. 0...2: it finished as the deadline fired (a race, fine).
      // SIGTERM itself (15 by signal): it arrived before the handler was installed.
      let finished = !result.killedBySignal && [0, 1, 2, 143].contains(result.exitCode)
      let early = result.killedBySignal && result.exitCode == SIGTERM
      if !(finished || early) {
        state.fail("\(label): after SIGTERM: exit \(result.exitCode), signal \(result.killedBySignal)")
      }
    } else if result.killedBySignal {
      state.record("signal")
      state.fail("\(label): killed by signal \(result.exitCode); stderr: \(stderr.prefix(300))")
    } else {
      state.record("exit \(result.exitCode)")
      switch result.exitCode {
      case 0: break
      case 1:
        if stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { state.fail("\(label): exit 1 without a message on stderr") }
      case 2:
        let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false)
        if !(lines.count == 2 && lines[1].isEmpty && lines[0].hasPrefix("error: ") && lines[0].count > 8) {
          state.fail("\(label): exit 2 must print exactly one 'error: ...' line, got \(FuzzArguments.literal([stderr]))")
        }
        if !result.stdout.isEmpty { state.fail("\(label): exit 2 but wrote \(result.stdoutData.count) bytes to stdout") }
        if !scratch.files().isEmpty { state.fail("\(label): exit 2 but created \(scratch.files())") }
      default:
        state.fail("\(label): exit code \(result.exitCode) outside {0, 1, 2}; stderr: \(stderr.prefix(300))")
      }
      if fuzzCase.mode == .oneInvalidValue && result.exitCode == 0 {
        state.fail("\(label): accepted an invalid value (exit 0)")
      }
    }
    if !scratch.temporaryFiles().isEmpty { state.fail("\(label): left temporary files \(scratch.temporaryFiles())") }
  }
}

/// The typed accessors of `ParsedOptions`, applied generically to any value.
private enum Accessor: CaseIterable {
  case int, positiveInt, double, unitDouble, intList, choice, choiceList

  func apply(_ options: ParsedOptions, _ name: String) throws(UsageError) {
    switch self {
    case .int: _ = try options.int(name, default: 0)
    case .positiveInt: _ = try options.int(name, default: 1, in: 1...1 << 24)
    case .double: _ = try options.double(name, default: 0)
    case .unitDouble: _ = try options.double(name, default: 0, in: 0...1)
    case .intList: _ = try options.intList(name, in: 1...1 << 24)
    case .choice: _ = try options.choice(name, ["paper", "tiny"], default: "paper")
    case .choiceList: _ = try options.choiceList(name, ["dense", "gsa"])
    }
  }
}

private func checkOneLine(_ message: String, _ fail: (String) -> Void) {
  if message.isEmpty { fail("empty error message") }
  let line = CLI.oneLine("error: " + message)
  if line.contains(where: { $0.isNewline }) { fail("error not one line after sanitising: \(FuzzArguments.literal([line]))") }
}

/// One generated process case.
struct ProcessCase {
  enum Mode: String { case random, oneInvalidValue = "one-invalid", validLooking = "valid-looking" }
  let mode: Mode
  let command: String?
  let arguments: [String]
  /// Seconds before the fuzzer sends SIGTERM.
  let deadline: Double

  static func generate(_ random: inout FuzzRandom, commands: [FuzzCommand], expensive: Set<String>) -> ProcessCase {
    let roll = random.below(100)
    if roll < 55 {
      var arguments = FuzzArguments.random(&random, commands: commands, allowNUL: false)
      if let first = arguments.first, expensive.contains(first) {
        // A command known to start long work: keep the random tokens (their syntax is still
        // parsed) but add an unknown option so it stops before running.
        arguments.insert("--zz-fuzz-unknown", at: 1 + random.below(arguments.count))
      }
      return ProcessCase(mode: .random, command: arguments.first, arguments: arguments, deadline: 2)
    }
    let command = random.pick(commands)
    let typed = command.options.filter { $0.valueName != nil }
    if roll < 85 || expensive.contains(command.name), let target = typed.isEmpty ? nil : random.pick(typed) {
      // One certainly-invalid value among otherwise plausible options: must fail before work.
      var parts = plausibleOptions(command, &random, excluding: target.name)
      let bad = target.isPath ? random.pick(["", "/proc/gsa-fuzz/x.json"]) : random.pick(FuzzArguments.certainlyInvalid)
      parts.insert(random.chance(0.5) ? [target.name, bad] : [target.name + "=" + bad], at: random.below(parts.count + 1))
      return ProcessCase(mode: .oneInvalidValue, command: command.name, arguments: [command.name] + parts.flatMap { $0 }, deadline: 20)
    }
    let parts = plausibleOptions(command, &random, excluding: nil)
    return ProcessCase(mode: .validLooking, command: command.name, arguments: [command.name] + parts.flatMap { $0 }, deadline: 2)
  }

  /// A few options with small valid-looking values.
  static func plausibleOptions(_ command: FuzzCommand, _ random: inout FuzzRandom, excluding: String?) -> [[String]] {
    var parts = [[String]]()
    if let word = command.positionalWords.randomElement(using: &random) { parts.append([word]) }
    var used: Set<String> = ["--help", "--output", "--json"]
    if let excluding {
      // A listing mode (--list) ignores the other options by design, so an invalid value
      // beside it need not be refused.
      used.formUnion([excluding, "--list"])
    }
    for _ in 0..<random.below(4) {
      guard let option = command.options.filter({ !used.contains($0.name) }).randomElement(using: &random) else { break }
      used.insert(option.name)
      guard option.valueName != nil else {
        parts.append([option.name])
        continue
      }
      let value: String
      if !option.choices.isEmpty {
        value = random.pick(option.choices)
      } else if option.isPath {
        value = random.pick(["out.txt", "result.json", "outdir"])
      } else {
        value = random.pick(["1", "2", "4", "8", "16", "0.5", "1e-3", "32,64"])
      }
      parts.append([option.name, value])
    }
    return parts
  }
}

extension FuzzRandom: RandomNumberGenerator {}

/// Shared, locked state of the process fuzz workers.
final class FuzzState: @unchecked Sendable {
  private let lock = NSLock()
  private var position = 0
  private var cases = 0
  private var tally = [String: Int]()
  private var failures = [String]()
  private var expensiveCommands = Set<String>()

  func nextIndex(of indices: [Int]) -> Int? {
    lock.withLock {
      guard position < indices.count else { return nil }
      defer { position += 1 }
      return indices[position]
    }
  }

  var expensive: Set<String> { lock.withLock { expensiveCommands } }
  func markExpensive(_ command: String) { lock.withLock { _ = expensiveCommands.insert(command) } }

  func record(_ outcome: String) {
    lock.withLock {
      cases += 1
      tally[outcome, default: 0] += 1
    }
  }

  private var notes = [String]()
  func note(_ message: String) { lock.withLock { if notes.count < 20 { notes.append(message) } } }
  var allNotes: [String] { lock.withLock { notes } }

  func fail(_ message: String) {
    lock.withLock { if failures.count < 30 { failures.append(message) } }
  }

  func report() -> (cases: Int, tally: String, failures: [String], expensive: String) {
    lock.withLock {
      (
        cases, tally.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "), failures,
        expensiveCommands.sorted().joined(separator: " ")
      )
    }
  }
}
