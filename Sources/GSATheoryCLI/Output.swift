import Foundation
import GSATheory

/// A plain-text table with aligned columns (numbers right-aligned).
public struct TextTable: Sendable {
  public var headers: [String]
  public var rows: [[String]]

  public init(headers: [String], rows: [[String]] = []) {
    self.headers = headers
    self.rows = rows
  }

  /// The table fitted to `TableWidth.limit` (full width when nil): long cells continue on
  /// further lines under their own column (`TableLayout`); numbers are never broken.
  public func rendered() -> String { rendered(width: TableWidth.limit) }

  /// The table fitted to `width` characters (full width when nil).
  public func rendered(width: Int?) -> String {
    let columns = headers.count
    let widths = TableLayout.widths([headers] + rows, columns: columns, limit: width)
    func lines(_ cells: [String]) -> [String] {
      let wrapped = cells.prefix(columns).enumerated().map { i, cell in TableLayout.wrap(cell, width: widths[i]) }
      let height = wrapped.map(\.count).max() ?? 1
      return (0..<height).map { j in
        wrapped.enumerated().map { i, cellLines in
          let text = j < cellLines.count ? cellLines[j] : ""
          let padding = String(repeating: " ", count: max(0, widths[i] - text.count))
          return cellLines.count == 1 && Self.looksNumeric(text) ? padding + text : text + padding
        }.joined(separator: "  ").trimmingTrailingSpaces()
      }
    }
    var out = lines(headers) + [widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
    out += rows.flatMap(lines)
    return out.joined(separator: "\n") + "\n"
  }

  /// RFC 4180 CSV of the same table.
  public func csv() -> String {
    ([headers] + rows).map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
  }

  static func csvField(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
  }

  static func looksNumeric(_ s: String) -> Bool {
    !s.isEmpty && Double(s.replacingOccurrences(of: "×", with: "").replacingOccurrences(of: "%", with: "")) != nil
  }
}

extension String {
  fileprivate func trimmingTrailingSpaces() -> String {
    var s = self
    while s.last == " " { s.removeLast() }
    return s
  }
}

/// Number formatting for tables: significant digits, no locale.
public func formatNumber(_ x: Double, digits: Int = 4) -> String {
  guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
  if x == x.rounded(), abs(x) < 1e12 { return String(Int(x)) }
  let magnitude = abs(x)
  if magnitude >= 1e6 || magnitude < 1e-3 { return String(format: "%.\(max(digits - 1, 0))e", x) }
  return String(format: "%.\(digits)g", x)
}

/// What a command produced, renderable in every output format.
public struct Report: Sendable {
  /// The machine-readable form (`--format json`); carries `schema_version`.
  public var json: JSONValue
  /// The human-readable form (`--format table`).
  public var table: String
  /// The flat form (`--format csv`); commands without a natural table give nil and CSV is refused.
  public var csv: String?

  public init(json: JSONValue, table: String, csv: String?) {
    self.json = json
    self.table = table
    self.csv = csv
  }

  func rendered(as format: OutputFormat, command: String) throws(UsageError) -> String {
    switch format {
    case .table: return table
    case .json: return json.serialized() + "\n"
    case .csv:
      guard let csv else { throw UsageError("\(command): no CSV form; use --format json or --format table") }
      return csv
    }
  }
}

public enum OutputFormat: String, Sendable, CaseIterable {
  case table, json, csv
}

/// Checks on `--output`/`--json` paths made before a command starts its work.
public enum OutputPath {
  /// Throws unless `path` names a file that can be created: non-empty, not a directory, in
  /// an existing, writable directory.
  public static func validate(_ path: String, flag: String) throws(UsageError) {
    guard !path.isEmpty else { throw UsageError("\(flag): empty file name; give a path such as results.json") }
    guard !path.contains("\u{0}") else { throw UsageError("\(flag): the file name contains a NUL character") }
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    if path.hasSuffix("/") || FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue {
      throw UsageError("\(flag): '\(path)' is a directory; give a file name such as \(path.hasSuffix("/") ? path : path + "/")results.json")
    }
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw UsageError("\(flag): directory '\(directory)' does not exist; create it first")
    }
    guard access(directory, W_OK) == 0 else {
      throw UsageError("\(flag): directory '\(directory)' is not writable; choose another location")
    }
  }

  /// True when both paths name the same file (after standardising `.`/`..`).
  static func same(_ a: String, _ b: String) -> Bool {
    URL(fileURLWithPath: a).standardizedFileURL.path == URL(fileURLWithPath: b).standardizedFileURL.path
  }
}

/// Writes `contents` to `path` whole or not at all: a temporary file in the same directory,
/// then rename(2), which is atomic on POSIX file systems. The temporary file,
/// `.<name>.tmp-<pid>`, is removed on failure and by the SIGINT/SIGTERM handler.
///
/// Test hook (documented in docs/reliability.md): with `GSA_THEORY_TEST_DELAY_MS=N` set, the
/// writer stops after the first half of the bytes and keeps all cores busy for N ms before
/// writing the rest, so a test can deterministically interrupt a write in flight.
/// `flag` names the option that gave the path, in error messages.
public func writeAtomically(_ contents: String, to path: String, flag: String = "--output") throws(CommandFailure) {
  let url = URL(fileURLWithPath: path)
  let directory = url.deletingLastPathComponent().path
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
    throw CommandFailure("\(flag): directory '\(directory)' does not exist; create it first")
  }
  let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())"
  TemporaryFiles.register(temporary)
  defer { TemporaryFiles.unregister(temporary) }
  let bytes = Array(contents.utf8)
  let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
  guard descriptor >= 0 else {
    throw CommandFailure("\(flag): cannot write '\(path)': \(String(cString: strerror(errno)))")
  }
  func fail(_ reason: String) -> CommandFailure {
    close(descriptor)
    unlink(temporary)
    return CommandFailure("\(flag): cannot write '\(path)': \(reason)")
  }
  let half = bytes.count / 2
  guard writeAll(descriptor, bytes[0..<half]) else { throw fail(String(cString: strerror(errno))) }
  TestHooks.delayMidWrite()
  guard writeAll(descriptor, bytes[half...]) else { throw fail(String(cString: strerror(errno))) }
  guard fsync(descriptor) == 0 || errno == EINVAL else { throw fail(String(cString: strerror(errno))) }
  close(descriptor)
  guard rename(temporary, path) == 0 else {
    let reason = String(cString: strerror(errno))
    unlink(temporary)
    throw CommandFailure("\(flag): cannot write '\(path)': \(reason)")
  }
}

/// stdout and stderr written with write(2): a failed write (a full disk, a closed descriptor,
/// a reader that went away) is an error or ignored, never a trap (Foundation's
/// `FileHandle.write` traps on such errors).
public enum StandardStreams {
  /// Writes `text` to stdout; throws (exit 1) when it cannot be written.
  public static func writeOutput(_ text: String) throws(CommandFailure) {
    let bytes = Array(text.utf8)
    guard writeAll(STDOUT_FILENO, bytes[...]) else {
      let reason = errno == EPIPE ? "the reader closed the pipe" : String(cString: strerror(errno))
      throw CommandFailure("cannot write to stdout: \(reason); use --output FILE")
    }
  }

  /// Writes `text` to stderr, best effort (there is nowhere left to report a failure).
  public static func writeError(_ text: String) {
    _ = writeAll(STDERR_FILENO, Array(text.utf8)[...])
  }
}

/// write(2) until every byte is out (retrying short writes and EINTR).
private func writeAll(_ descriptor: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
  bytes.withUnsafeBytes { buffer in
    var offset = 0
    while offset < buffer.count {
      let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        return false
      }
      offset += written
    }
    return true
  }
}

/// Hidden hooks that make failure paths testable; each is an environment variable documented
/// in docs/reliability.md and has no effect unless set.
enum TestHooks {
  /// `GSA_THEORY_TEST_DELAY_MS`: busy-wait on every core for that many ms in the middle of an
  /// atomic write (simulates a long computation while a temporary file is in flight).
  static func delayMidWrite() {
    guard let raw = ProcessInfo.processInfo.environment["GSA_THEORY_TEST_DELAY_MS"], let ms = Int(raw), ms > 0 else { return }
    let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(min(ms, 600_000)) * 1_000_000
    DispatchQueue.concurrentPerform(iterations: max(1, ProcessInfo.processInfo.activeProcessorCount)) { _ in
      var spin = 0.0
      while DispatchTime.now().uptimeNanoseconds < deadline { spin += 1 }
      blackHole(spin)
    }
  }

  @inline(never) static func blackHole(_ value: Double) { if value.isNaN { print("") } }
}

/// Temporary files in flight, removed by the signal handler if the process is interrupted.
enum TemporaryFiles {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var paths: Set<String> = []

  static func register(_ path: String) { lock.withLock { _ = paths.insert(path) } }
  static func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }
  static func removeAll() { lock.withLock { for path in paths { unlink(path) } } }
}
