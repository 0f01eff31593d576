import Foundation
import GSATheory

/// A command-line usage error: exit status 2, one line on stderr.
public struct UsageError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// A failure while running a command (exit status 1): a check that could not run, an I/O error.
public struct CommandFailure: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// One `--name [VALUE]` option of a command.
public struct OptionSpec: Sendable {
  public let name: String
  /// Placeholder shown in help (`N`, `FILE`, `LIST`); nil for a flag without a value.
  public let valueName: String?
  public let help: String
  /// Default shown in help, if any.
  public let defaultValue: String?

  public init(_ name: String, value valueName: String? = nil, default defaultValue: String? = nil, help: String) {
    precondition(name.hasPrefix("--"), "option names start with --")
    self.name = name
    self.valueName = valueName
    self.help = help
    self.defaultValue = defaultValue
  }

  public var takesValue: Bool { valueName != nil }
}

/// The options every subcommand accepts.
enum CommonOptions {
  static let seed = OptionSpec("--seed", value: "N", default: "42", help: "Seed for every random draw (same seed, same numbers).")
  static let format = format(default: .table)
  static func format(default value: OutputFormat) -> OptionSpec {
    OptionSpec("--format", value: "table|json|csv", default: value.rawValue, help: "Output format.")
  }
  static let output = OptionSpec("--output", value: "FILE", help: "Write the output to FILE (whole or not at all) instead of stdout.")
  static let json = OptionSpec("--json", value: "FILE", help: "Also write the JSON report to FILE, whatever --format is.")
  static let wide = OptionSpec(
    "--wide", help: "Print tables at full width (default: fitted to COLUMNS, the terminal, or 100 columns when not a terminal).")
  static let help = OptionSpec("--help", help: "Show this help and exit.")
  static let all = [seed, format, output, json, wide, help]
}

/// Options parsed against a command's specs, with typed, validating accessors.
///
/// Every accessor names the flag and the valid range in its error, so users see e.g.
/// `--k: expected an integer >= 1, got 'abc'`.
public struct ParsedOptions: Sendable {
  public private(set) var values: [String: String] = [:]
  public private(set) var flags: Set<String> = []
  /// Positional arguments (e.g. claim ids for `check`).
  public private(set) var positionals: [String] = []

  /// Parses `arguments` (after the subcommand name) against `specs`.
  static func parse(
    _ arguments: [String], specs: [OptionSpec], allowsPositionals: Bool, command: String
  ) throws(UsageError)
    -> ParsedOptions
  {
    var parsed = ParsedOptions()
    let byName = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      if argument == "--" {
        guard allowsPositionals || index >= arguments.count else {
          throw UsageError("\(command): unexpected argument '\(arguments[index])'; see 'gsa-theory \(command) --help'")
        }
        parsed.positionals.append(contentsOf: arguments[index...])
        break
      }
      guard argument.hasPrefix("-"), argument.count > 1, !isNumber(argument) else {
        guard allowsPositionals else {
          throw UsageError("\(command): unexpected argument '\(argument)'; see 'gsa-theory \(command) --help'")
        }
        parsed.positionals.append(argument)
        continue
      }
      var name = argument
      var inlineValue: String?
      if let equals = argument.firstIndex(of: "=") {
        name = String(argument[..<equals])
        inlineValue = String(argument[argument.index(after: equals)...])
      }
      if name == "-h" { name = "--help" }
      guard let spec = byName[name] else {
        throw UsageError(
          "\(command): unknown option '\(name)'\(suggestion(for: name, among: specs.map(\.name))); see 'gsa-theory \(command) --help'")
      }
      if spec.takesValue {
        let value: String
        if let inlineValue {
          value = inlineValue
        } else {
          guard index < arguments.count, !(arguments[index].hasPrefix("--") && arguments[index].count > 2) else {
            throw UsageError("\(command): option '\(name)' needs a value (\(spec.valueName!))")
          }
          value = arguments[index]
          index += 1
        }
        guard parsed.values[name] == nil else {
          throw UsageError("\(command): option '\(name)' given twice; give it once")
        }
        parsed.values[name] = value
      } else {
        guard inlineValue == nil else { throw UsageError("\(command): option '\(name)' takes no value") }
        parsed.flags.insert(name)
      }
    }
    return parsed
  }

  private static func isNumber(_ s: String) -> Bool { Double(s) != nil }

  public func has(_ name: String) -> Bool { values[name] != nil || flags.contains(name) }
  public func flag(_ name: String) -> Bool { flags.contains(name) }
  public func string(_ name: String) -> String? { values[name] }

  /// A string restricted to `choices`.
  public func choice(_ name: String, _ choices: [String], default defaultValue: String) throws(UsageError) -> String {
    guard let raw = values[name] else { return defaultValue }
    guard choices.contains(raw) else {
      throw UsageError(
        "\(name): unknown value '\(raw)'\(suggestion(for: raw, among: choices)); valid values: \(choices.joined(separator: ", "))")
    }
    return raw
  }

  /// An integer in `range`; accepts 4096, 4_096, 4k (×1024), 1m (×1024²) and 1e6.
  public func int(_ name: String, default defaultValue: Int, in range: ClosedRange<Int> = Int.min...Int.max) throws(UsageError) -> Int {
    guard let raw = values[name] else { return defaultValue }
    return try Self.parseInt(raw, flag: name, in: range)
  }

  /// An optional integer in `range` (nil when the option is absent).
  public func optionalInt(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(UsageError) -> Int? {
    guard let raw = values[name] else { return nil }
    return try Self.parseInt(raw, flag: name, in: range)
  }

  /// A finite floating-point number in `range`.
  public func double(
    _ name: String, default defaultValue: Double,
    in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
  )
    throws(UsageError) -> Double
  {
    guard let raw = values[name] else { return defaultValue }
    return try Self.parseDouble(raw, flag: name, in: range)
  }

  /// An optional finite floating-point number in `range`.
  public func optionalDouble(
    _ name: String, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
  )
    throws(UsageError) -> Double?
  {
    guard let raw = values[name] else { return nil }
    return try Self.parseDouble(raw, flag: name, in: range)
  }

  /// A comma-separated list of integers, each in `range`, non-empty.
  public func intList(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(UsageError) -> [Int]? {
    guard let raw = values[name] else { return nil }
    let parts = raw.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    guard !parts.isEmpty, !parts.contains(where: \.isEmpty) else {
      throw UsageError("\(name): expected a comma-separated list of integers like 512,1024,2048, got '\(raw)'")
    }
    var result = [Int]()
    for part in parts { result.append(try Self.parseInt(part, flag: name, in: range)) }
    return result
  }

  /// A comma-separated list of words drawn from `choices`.
  public func choiceList(_ name: String, _ choices: [String]) throws(UsageError) -> [String]? {
    guard let raw = values[name] else { return nil }
    let parts = raw.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    for part in parts where !choices.contains(part) {
      throw UsageError(
        "\(name): unknown value '\(part)'\(suggestion(for: part, among: choices)); valid values: \(choices.joined(separator: ", "))")
    }
    return parts
  }

  static func parseInt(_ raw: String, flag: String, in range: ClosedRange<Int>) throws(UsageError) -> Int {
    let text = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "").lowercased()
    var value: Int?
    if let exact = Int(text) {
      value = exact
    } else if let last = text.last, let multiplier = ["k": 1024, "m": 1024 * 1024][String(last)], let base = Int(text.dropLast()) {
      value = base.multipliedReportingOverflow(by: multiplier).overflow ? nil : base * multiplier
    } else if let real = Double(text), real.isFinite, real == real.rounded(), abs(real) < 9e18 {
      value = Int(real)
    }
    guard let value else {
      throw UsageError("\(flag): expected an integer\(describe(range)), got '\(raw)'")
    }
    guard range.contains(value) else {
      throw UsageError("\(flag): \(value) is out of range; use a value\(describe(range))")
    }
    return value
  }

  static func parseDouble(_ raw: String, flag: String, in range: ClosedRange<Double>) throws(UsageError) -> Double {
    guard let value = Double(raw.trimmingCharacters(in: .whitespaces)) else {
      throw UsageError("\(flag): expected a number, got '\(raw)'")
    }
    guard value.isFinite else { throw UsageError("\(flag): expected a finite number, got '\(raw)'") }
    guard range.contains(value) else {
      throw UsageError("\(flag): \(value) is out of range; use a value in [\(range.lowerBound), \(range.upperBound)]")
    }
    return value
  }

  private static func describe(_ range: ClosedRange<Int>) -> String {
    switch (range.lowerBound == Int.min, range.upperBound == Int.max) {
    case (true, true): return ""
    case (false, true): return " >= \(range.lowerBound)"
    case (true, false): return " <= \(range.upperBound)"
    case (false, false): return " in \(range.lowerBound)...\(range.upperBound)"
    }
  }
}

/// " (did you mean '--lengths'?)" when a candidate is within a small edit distance.
func suggestion(for word: String, among candidates: [String]) -> String {
  let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
  guard let best = scored.min(by: { $0.1 < $1.1 }) else { return "" }
  let threshold = max(2, best.0.count / 3)
  if best.1 <= threshold || best.0.hasPrefix(word) && word.count >= 3 { return " (did you mean '\(best.0)'?)" }
  return ""
}
