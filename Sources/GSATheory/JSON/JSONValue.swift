import Foundation

/// A JSON value with ordered object keys, so the same data always serialises to the same bytes.
public indirect enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case int(Int)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([(String, JSONValue)])

  public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.serialized() == rhs.serialized() }

  /// Pretty-printed JSON (2-space indent). Non-finite numbers become `null`, since JSON has
  /// no NaN or infinity. Doubles use Swift's shortest round-trip form.
  public func serialized(indent: Int = 0) -> String {
    var out = ""
    write(into: &out, indent: indent)
    return out
  }

  private func write(into out: inout String, indent: Int) {
    let pad = String(repeating: "  ", count: indent + 1)
    let closePad = String(repeating: "  ", count: indent)
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .number(let d): out += Self.format(d)
    case .string(let s): out += Self.quote(s)
    case .array(let items):
      if items.isEmpty { out += "[]"; return }
      if items.allSatisfy(\.isScalar) {
        out += "[" + items.map { $0.serialized() }.joined(separator: ", ") + "]"
        return
      }
      out += "[\n"
      for (i, item) in items.enumerated() {
        out += pad
        item.write(into: &out, indent: indent + 1)
        out += i + 1 < items.count ? ",\n" : "\n"
      }
      out += closePad + "]"
    case .object(let members):
      if members.isEmpty { out += "{}"; return }
      out += "{\n"
      for (i, (key, value)) in members.enumerated() {
        out += pad + Self.quote(key) + ": "
        value.write(into: &out, indent: indent + 1)
        out += i + 1 < members.count ? ",\n" : "\n"
      }
      out += closePad + "}"
    }
  }

  private var isScalar: Bool {
    switch self {
    case .array, .object: return false
    default: return true
    }
  }

  static func format(_ d: Double) -> String {
    guard d.isFinite else { return "null" }
    if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
    return "\(d)"
  }

  /// `s` as a JSON string literal (quotes, backslash, control characters escaped).
  public static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
  ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .number(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
}

extension JSONValue {
  /// The member `key` of an object (nil for other values or a missing key).
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.0 == key }?.1
  }

  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// An `.int`, or a `.number` with an integral value.
  public var intValue: Int? {
    switch self {
    case .int(let i): return i
    case .number(let d) where d == d.rounded() && abs(d) < 9e18: return Int(d)
    default: return nil
    }
  }

  /// A number as a Double; `null` (how the tool writes NaN and infinities) is NaN.
  public var doubleValue: Double? {
    switch self {
    case .int(let i): return Double(i)
    case .number(let d): return d
    case .null: return .nan
    default: return nil
    }
  }

  public var boolValue: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }

  public var arrayValue: [JSONValue]? {
    if case .array(let items) = self { return items }
    return nil
  }

  public var objectMembers: [(String, JSONValue)]? {
    if case .object(let members) = self { return members }
    return nil
  }

  /// A copy of an object without the members named in `keys`.
  public func removing(_ keys: Set<String>) -> JSONValue {
    guard case .object(let members) = self else { return self }
    return .object(members.filter { !keys.contains($0.0) })
  }

  /// A copy of an object with `key` set to `value` (replaced in place, or appended).
  public func setting(_ key: String, _ value: JSONValue) -> JSONValue {
    guard case .object(var members) = self else { return self }
    if let index = members.firstIndex(where: { $0.0 == key }) { members[index].1 = value } else { members.append((key, value)) }
    return .object(members)
  }
}
