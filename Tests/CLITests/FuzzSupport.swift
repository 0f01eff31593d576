import Foundation

/// The fuzz test's knobs: environment overrides for replaying or lengthening a run
/// (see docs/reliability.md).
struct FuzzSettings {
  /// `GSA_FUZZ_SEED` (decimal or 0x hex): the master seed; case i uses mix(seed, i).
  var seed: UInt64
  /// `GSA_FUZZ_CASES`: cases of the in-process parser fuzz.
  var inProcessCases: Int
  /// `GSA_FUZZ_PROCESS_CASES`: cases that run the real binary.
  var processCases: Int
  /// `GSA_FUZZ_SECONDS`: optional time budget of the process fuzz (the run stops early when
  /// spent; for long local runs with a large `GSA_FUZZ_PROCESS_CASES`). Unset by default, so the
  /// cases a run checks never depend on the machine's speed.
  var processSeconds: Double?
  /// `GSA_FUZZ_CASE`: run only this process case index (replay).
  var onlyCase: Int?

  static var current: FuzzSettings {
    let environment = ProcessInfo.processInfo.environment
    func number(_ key: String) -> UInt64? {
      guard let raw = environment[key]?.lowercased() else { return nil }
      return raw.hasPrefix("0x") ? UInt64(raw.dropFirst(2), radix: 16) : UInt64(raw)
    }
    return FuzzSettings(
      seed: number("GSA_FUZZ_SEED") ?? 0x6A5A_F022,
      inProcessCases: number("GSA_FUZZ_CASES").map(Int.init) ?? 12_000,
      processCases: number("GSA_FUZZ_PROCESS_CASES").map(Int.init) ?? 600,
      processSeconds: environment["GSA_FUZZ_SECONDS"].flatMap(Double.init),
      onlyCase: number("GSA_FUZZ_CASE").map(Int.init))
  }
}

/// SplitMix64: a tiny, fast, seeded generator for fuzz cases (every case is reproducible
/// from the master seed and its index).
struct FuzzRandom {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  init(master: UInt64, index: Int) {
    var mixer = FuzzRandom(seed: master ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
    state = mixer.next()
  }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
  mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
  mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// One option as `<command> --help` describes it.
struct FuzzOption: Sendable {
  let name: String
  /// The placeholder (`N`, `FILE`, `table|json|csv`); nil for a flag.
  let valueName: String?

  /// A file or directory path (FILE, DIR, PATH placeholders).
  var isPath: Bool { ["FILE", "DIR", "PATH"].contains { valueName?.uppercased().contains($0) == true } }

  /// Choices spelled in the placeholder or help (`a|b|c`).
  var choices: [String] {
    guard let valueName, valueName.contains("|") else { return [] }
    return valueName.split(separator: "|").map(String.init)
  }
}

/// A command and its options, discovered from the help texts.
struct FuzzCommand: Sendable {
  let name: String
  let options: [FuzzOption]
  let takesPositionals: Bool
  /// Literal positional words from the usage line (`simulate [options] stability`).
  var positionalWords: [String] = []
}

enum HelpParser {
  /// Command names from the COMMANDS: section of `gsa-theory --help`.
  static func commands(fromToolHelp help: String) -> [String] {
    guard let section = help.components(separatedBy: "COMMANDS:\n").dropFirst().first else { return [] }
    return section.components(separatedBy: "\n\n")[0].split(separator: "\n").compactMap {
      $0.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init)
    }
  }

  /// Options (lines `  --name <VALUE>  help`) from `<command> --help`.
  static func command(_ name: String, fromHelp help: String) -> FuzzCommand {
    var options = [FuzzOption]()
    for line in help.split(separator: "\n") where line.hasPrefix("  --") {
      let head = line.dropFirst(2).split(separator: " ", maxSplits: 1)
      let optionName = String(head[0])
      var valueName: String?
      if head.count > 1, head[1].hasPrefix("<"), let close = head[1].firstIndex(of: ">") {
        valueName = String(head[1][head[1].index(after: head[1].startIndex)..<close])
      }
      options.append(FuzzOption(name: optionName, valueName: valueName))
    }
    let usage = help.split(separator: "\n").first { $0.hasPrefix("USAGE:") } ?? ""
    let tail = usage.components(separatedBy: "[options] ").dropFirst().first ?? ""
    let words = tail.split(whereSeparator: { " |[]".contains($0) }).map(String.init).filter {
      $0.allSatisfy { $0.isLowercase || $0 == "-" } && !$0.isEmpty
    }
    return FuzzCommand(name: name, options: options, takesPositionals: usage.contains("[options] "), positionalWords: words)
  }
}

/// Argument-list generation: random and mutated lists, hostile values.
enum FuzzArguments {
  /// Values that stress parsing and validation: huge, negative, zero, non-finite, empty,
  /// non-ASCII, malformed lists, option-like strings, control characters.
  static let hostileValues: [String] = [
    "", " ", "0", "-0", "-1", "-7", "1", "2", "3", "8", "64", "100", "4k", "4K", "1m", "1_000", "1e3", "1e6", "1.5", "0.5",
    "1e-320", "1e308", "1e309", "1e999", "-1e999", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "99999999999999999999999", "4294967296", "2147483648", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "0x10", "0x",
    "abc", "ü", "日本語", "🙂", "ｌ２", "١٢٣", "\u{202E}42", "a\nb", "1\r", "\t", "\u{7}", "1,2,3", "512,1024", ",", "1,,2",
    "1,", ",1", "1,-1", "1,nan", "-", "--", "=", "==", "--help", "-h", "paper", "paper-shape", "tiny", "small", "figure",
    "code", "fixed", "sigmoid", "relu", "dense", "gsa", "sparse-only", "gated-only", "json", "csv", "table", "all",
    String(repeating: "9", count: 400), String(repeating: "x", count: 5000), String(repeating: "1,", count: 300) + "1",
  ]

  /// Values invalid for every typed option (numbers, lists, names, choices, files): the
  /// process fuzz expects a command given one of them to refuse before starting work.
  static let certainlyInvalid: [String] = ["", "nan", "-inf", "1e999", "ü🙂", "\u{7}x", " , "]

  static let unknownTokens = ["--bogus", "--", "-x", "---", "--=", "--k=", "-", "+1", "--SEED", "--seed=", "—seed", "--öption"]

  /// A random argument list for `commands` (mutation-based): a command (or junk), then
  /// options in every form: `--opt v`, `--opt=v`, missing values, duplicates, unknown flags,
  /// flags given values, positionals.
  static func random(_ random: inout FuzzRandom, commands: [FuzzCommand], allowNUL: Bool) -> [String] {
    var arguments = [String]()
    let roll = random.below(20)
    if roll == 0 { return [] }
    if roll == 1 { return [random.pick(["--help", "-h", "help", "--version", "--bogus", "help " + "x", "-"])] }
    let command: FuzzCommand? = roll == 2 ? nil : random.pick(commands)
    if let command {
      arguments.append(random.chance(0.03) ? command.name.uppercased() : command.name)
      if let word = command.positionalWords.randomElement(using: &random), random.chance(0.5) { arguments.append(word) }
    } else {
      arguments.append(random.pick(hostileValues + unknownTokens))
    }
    let options = command?.options ?? []
    let count = random.below(7)
    for _ in 0..<count {
      let kind = random.below(12)
      switch kind {
      case 0:
        arguments.append(random.pick(unknownTokens))
      case 1:
        arguments.append(random.pick(hostileValues))
      case 2:
        arguments.append(random.pick(arguments))  // repeat an earlier token (duplicate flags, stray values)
      default:
        guard !options.isEmpty else {
          arguments.append(random.pick(unknownTokens))
          continue
        }
        let option = random.pick(options)
        if option.name == "--help" && random.chance(0.8) { continue }
        appendOption(option, to: &arguments, &random)
      }
    }
    if random.chance(0.1), !arguments.isEmpty {
      let index = random.below(arguments.count)
      arguments[index] = mutate(arguments[index], &random)
    }
    if !allowNUL { arguments = arguments.map { $0.replacingOccurrences(of: "\u{0}", with: "") } }
    return arguments
  }

  static func appendOption(_ option: FuzzOption, to arguments: inout [String], _ random: inout FuzzRandom) {
    let value = self.value(for: option, &random)
    if option.valueName == nil {
      switch random.below(10) {
      case 0: arguments.append(option.name + "=" + value)
      default: arguments.append(option.name)
      }
      return
    }
    switch random.below(10) {
    case 0: arguments.append(option.name)  // missing value (maybe swallows the next option)
    case 1, 2: arguments.append(option.name + "=" + value)
    case 3:
      arguments += [option.name, value, option.name, value]  // duplicated
    default: arguments += [option.name, value]
    }
  }

  /// A value for `option`: usually hostile, sometimes a valid choice or a small number.
  static func value(for option: FuzzOption, _ random: inout FuzzRandom) -> String {
    if !option.choices.isEmpty, random.chance(0.5) {
      let choice = random.pick(option.choices)
      return random.chance(0.2) ? mutate(choice, &random) : choice
    }
    if option.valueName == "FILE", random.chance(0.5) {
      return random.pick(["out.txt", "sub/missing/out.json", "", ".", "..", "/", "out.json", "/proc/version", "ü.txt", "a b.csv"])
    }
    return random.pick(hostileValues)
  }

  /// Character-level mutation: insert, delete, duplicate or replace one character.
  static func mutate(_ text: String, _ random: inout FuzzRandom) -> String {
    var scalars = Array(text.unicodeScalars)
    let inserts: [Unicode.Scalar] = ["-", "=", ",", "0", "9", "e", ".", " ", "é", "\u{301}", "\u{FFFD}", "\u{1F600}", "_", "k"]
    let position = scalars.isEmpty ? 0 : random.below(scalars.count + 1)
    switch random.below(4) {
    case 0: scalars.insert(random.pick(inserts), at: position)
    case 1 where !scalars.isEmpty: scalars.remove(at: min(position, scalars.count - 1))
    case 2 where !scalars.isEmpty:
      let index = min(position, scalars.count - 1)
      scalars.insert(scalars[index], at: index)
    default:
      if scalars.isEmpty { scalars.append(random.pick(inserts)) } else { scalars[min(position, scalars.count - 1)] = random.pick(inserts) }
    }
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars)
    return String(view)
  }

  /// `["a", "b"]` as a Swift array literal (for replaying a failing case by hand).
  static func literal(_ arguments: [String]) -> String {
    "["
      + arguments.map {
        "\""
          + $0.unicodeScalars.map {
            $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? String($0) : "\\u{\(String($0.value, radix: 16))}"
          }.joined() + "\""
      }.joined(separator: ", ") + "]"
  }
}

/// A scratch directory, removed at the end.
struct ScratchDirectory {
  let path: String

  init(_ label: String) throws {
    path = FileManager.default.temporaryDirectory.appendingPathComponent("gsa-\(label)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  /// Every file below the directory, relative paths, sorted.
  func files() -> [String] {
    (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
  }

  /// Left-over temporary files of the atomic writer (`.<name>.tmp-<pid>`).
  func temporaryFiles() -> [String] { files().filter { $0.split(separator: "/").last?.contains(".tmp-") == true } }

  func remove() { try? FileManager.default.removeItem(atPath: path) }
}
