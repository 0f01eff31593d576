import Foundation

/// A JSON document could not be read: the byte offset and what was expected there.
public struct JSONParseError: Error, CustomStringConvertible, Sendable {
  public let offset: Int
  public let reason: String
  public var description: String { "not valid JSON at byte \(offset): \(reason)" }
}

extension JSONValue {
  /// Parses JSON text (RFC 8259, strictly: no leading zeros, trailing commas or raw control
  /// characters), keeping object keys in order and every number exact: an integer literal that
  /// fits in `Int` stays an `.int`; any other number is `Double(text)`, which rounds correctly (so
  /// a double written in its shortest form reads back bit for bit, and `serialized()` ∘ `parse` is
  /// the identity on the tool's own output).
  public static func parse(_ data: Data) throws(JSONParseError) -> JSONValue { try parse(bytes: [UInt8](data)) }

  /// `parse` of the text's UTF-8 bytes.
  public static func parse(_ text: String) throws(JSONParseError) -> JSONValue { try parse(bytes: Array(text.utf8)) }

  private static func parse(bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
    var parser = Parser(bytes: bytes)
    parser.skipWhitespace()
    let value = try parser.value(depth: 0)
    parser.skipWhitespace()
    guard parser.index == parser.bytes.count else { throw parser.error("expected the end of the file") }
    return value
  }

  private struct Parser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ expected: String) -> JSONParseError {
      let found = index < bytes.count ? "'\(Character(Unicode.Scalar(bytes[index])))'" : "the end of the file"
      return JSONParseError(offset: index, reason: "\(expected), found \(found)")
    }

    mutating func skipWhitespace() {
      while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func expect(_ literal: String, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
      let utf8 = Array(literal.utf8)
      guard index + utf8.count <= bytes.count, Array(bytes[index..<(index + utf8.count)]) == utf8 else {
        throw error("expected a JSON value")
      }
      index += utf8.count
      return value
    }

    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
      guard depth < 64 else { throw error("nesting deeper than 64 levels") }
      guard index < bytes.count else { throw error("expected a JSON value") }
      switch bytes[index] {
      case UInt8(ascii: "{"): return try object(depth: depth)
      case UInt8(ascii: "["): return try array(depth: depth)
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "t"): return try expect("true", .bool(true))
      case UInt8(ascii: "f"): return try expect("false", .bool(false))
      case UInt8(ascii: "n"): return try expect("null", .null)
      default: return try number()
      }
    }

    mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
      index += 1
      var members = [(String, JSONValue)]()
      skipWhitespace()
      if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
        index += 1
        return .object(members)
      }
      while true {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
        let key = try string()
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
        index += 1
        skipWhitespace()
        members.append((key, try value(depth: depth + 1)))
        skipWhitespace()
        guard index < bytes.count else { throw error("expected ',' or '}'") }
        if bytes[index] == UInt8(ascii: ",") {
          index += 1
          continue
        }
        guard bytes[index] == UInt8(ascii: "}") else { throw error("expected ',' or '}'") }
        index += 1
        return .object(members)
      }
    }

    mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
      index += 1
      var items = [JSONValue]()
      skipWhitespace()
      if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
        index += 1
        return .array(items)
      }
      while true {
        skipWhitespace()
        items.append(try value(depth: depth + 1))
        skipWhitespace()
        guard index < bytes.count else { throw error("expected ',' or ']'") }
        if bytes[index] == UInt8(ascii: ",") {
          index += 1
          continue
        }
        guard bytes[index] == UInt8(ascii: "]") else { throw error("expected ',' or ']'") }
        index += 1
        return .array(items)
      }
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
      guard index + 4 <= bytes.count, let text = String(bytes: bytes[index..<(index + 4)], encoding: .ascii),
        let code = UInt32(text, radix: 16)
      else { throw error("expected 4 hex digits after \\u") }
      index += 4
      return code
    }

    mutating func string() throws(JSONParseError) -> String {
      index += 1
      var scalars = String.UnicodeScalarView()
      var run = [UInt8]()
      func flush() -> Bool {
        guard !run.isEmpty else { return true }
        guard let text = String(bytes: run, encoding: .utf8) else { return false }
        scalars.append(contentsOf: text.unicodeScalars)
        run.removeAll()
        return true
      }
      while index < bytes.count {
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "\""):
          guard flush() else { throw error("valid UTF-8 in a string") }
          index += 1
          return String(scalars)
        case UInt8(ascii: "\\"):
          guard flush() else { throw error("valid UTF-8 in a string") }
          index += 1
          guard index < bytes.count else { throw error("expected an escape character") }
          let escape = bytes[index]
          index += 1
          switch escape {
          case UInt8(ascii: "\""): scalars.append("\"")
          case UInt8(ascii: "\\"): scalars.append("\\")
          case UInt8(ascii: "/"): scalars.append("/")
          case UInt8(ascii: "b"): scalars.append("\u{08}")
          case UInt8(ascii: "f"): scalars.append("\u{0C}")
          case UInt8(ascii: "n"): scalars.append("\n")
          case UInt8(ascii: "r"): scalars.append("\r")
          case UInt8(ascii: "t"): scalars.append("\t")
          case UInt8(ascii: "u"):
            var code = try hex4()
            if (0xD800..<0xDC00).contains(code) {
              guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw error("expected a low surrogate after a high one")
              }
              index += 2
              let low = try hex4()
              guard (0xDC00..<0xE000).contains(low) else { throw error("expected a low surrogate") }
              code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(code) else { throw error("a valid Unicode scalar") }
            scalars.append(scalar)
          default:
            index -= 1
            throw error("expected a valid escape")
          }
        case 0x00..<0x20:
          throw error("expected no raw control character in a string")
        default:
          run.append(byte)
          index += 1
        }
      }
      throw error("expected '\"' to close the string")
    }

    /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    mutating func number() throws(JSONParseError) -> JSONValue {
      let start = index
      func digits() -> Int {
        let from = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return index - from
      }
      if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
      let integerStart = index
      let integerDigits = digits()
      guard integerDigits > 0 else {
        index = start
        throw error("expected a JSON value")
      }
      guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else {
        index = integerStart
        throw error("expected no leading zero")
      }
      var integral = true
      if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
        index += 1
        integral = false
        guard digits() > 0 else { throw error("expected a digit after '.'") }
      }
      if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
        index += 1
        integral = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard digits() > 0 else { throw error("expected a digit in the exponent") }
      }
      let text = String(decoding: bytes[start..<index], as: UTF8.self)
      if integral, let exact = Int(text) { return .int(exact) }
      guard let value = Double(text), value.isFinite else {
        index = start
        throw error("expected a number representable as a double")
      }
      return .number(value)
    }
  }
}
