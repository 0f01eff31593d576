import Foundation

/// The width plain-text tables are fitted to.
///
/// `CLI.run` sets `limit` for the duration of a command (from `--wide`, COLUMNS, the terminal);
/// outside a command it is nil and tables keep their full width.
public enum TableWidth {
  /// The widest line a table may print; nil keeps every column at its full width.
  @TaskLocal public static var limit: Int?

  /// Tables narrower than this are not attempted: `COLUMNS` below it is taken as this.
  public static let minimum = 40
  /// The width when neither COLUMNS nor a terminal says otherwise (output to a file or a pipe).
  public static let fallback = 100

  /// The width for a run: nil with `--wide`; else `COLUMNS` when it is a positive integer; else
  /// the terminal's own width when the output goes to a terminal; else 100.
  public static func resolve(wide: Bool, environment: [String: String], terminalColumns: Int?) -> Int? {
    if wide { return nil }
    if let raw = environment["COLUMNS"], let columns = Int(raw.trimmingCharacters(in: .whitespaces)), columns > 0 {
      return max(minimum, columns)
    }
    if let terminalColumns, terminalColumns > 0 { return max(minimum, terminalColumns) }
    return fallback
  }

  /// The column count of the terminal on `descriptor` (TIOCGWINSZ), or nil when it is not a terminal.
  public static func terminalColumns(_ descriptor: Int32 = STDOUT_FILENO) -> Int? {
    guard isatty(descriptor) == 1 else { return nil }
    var size = winsize()
    guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
    return Int(size.ws_col)
  }
}

/// How a table's columns are fitted into a width: each column gets a width, and each cell is
/// broken into lines of at most that width.
///
/// Cells break at spaces, after a hyphen between two letters ("holds-with-" / "correction") and
/// between source tags ("[fig]" / "[3p]"). A piece that contains a digit (a number, "1.276e+05",
/// "L²") is never split; a column is never made narrower than its widest such piece. Longer
/// pieces without digits are cut only when the columns cannot fit otherwise.
enum TableLayout {
  /// One unbreakable piece of a cell and whether a space separates it from the previous piece.
  struct Piece: Equatable {
    var text: String
    var spaced: Bool
    var isNumeric: Bool { text.contains { $0.isNumber } }
  }

  /// The pieces of `cell`, in order (spaces consumed; hyphens and brackets kept with their piece).
  static func pieces(_ cell: String) -> [Piece] {
    var result = [Piece]()
    for (index, word) in cell.split(separator: " ", omittingEmptySubsequences: true).enumerated() {
      let characters = Array(word)
      var start = 0
      for i in 0..<characters.count {
        let next = i + 1 < characters.count ? characters[i + 1] : nil
        let breaksAfter: Bool
        switch characters[i] {
        case "-": breaksAfter = i > 0 && characters[i - 1].isLetter && (next?.isLetter ?? false)
        case "]": breaksAfter = next == "["
        default: breaksAfter = false
        }
        if breaksAfter || next == nil {
          result.append(Piece(text: String(characters[start...i]), spaced: start == 0 && index > 0))
          start = i + 1
        }
      }
    }
    return result
  }

  /// Column widths for `cells` (the header row first) within `limit` characters, columns joined
  /// by `gap` spaces. Starts from each column's full width and narrows the widest column one
  /// character at a time: first down to its longest piece, then (only if still too wide) down to
  /// its longest numeric piece. Returns the full widths when they fit or `limit` is nil.
  static func widths(_ cells: [[String]], columns: Int, limit: Int?, gap: Int = 2) -> [Int] {
    var widths = Array(repeating: 0, count: columns)
    var longestPiece = Array(repeating: 1, count: columns)
    var longestNumber = Array(repeating: 1, count: columns)
    for row in cells {
      for (i, cell) in row.prefix(columns).enumerated() {
        widths[i] = max(widths[i], cell.count)
        for piece in pieces(cell) {
          longestPiece[i] = max(longestPiece[i], piece.text.count)
          if piece.isNumeric || TextTable.looksNumeric(cell) { longestNumber[i] = max(longestNumber[i], piece.text.count) }
        }
        if TextTable.looksNumeric(cell) { longestNumber[i] = max(longestNumber[i], cell.count) }
      }
    }
    guard let limit else { return widths }
    func total() -> Int { widths.reduce(0, +) + gap * max(0, columns - 1) }
    for floor in [longestPiece, longestNumber.map { max($0, 4) }] {
      while total() > limit {
        guard let widest = (0..<columns).filter({ widths[$0] > floor[$0] }).max(by: { widths[$0] < widths[$1] }) else { break }
        widths[widest] -= 1
      }
    }
    return widths
  }

  /// `cell` broken into lines of at most `width` characters (a numeric piece wider than `width`
  /// keeps its own line whole). A cell that fits is returned as it is.
  static func wrap(_ cell: String, width: Int) -> [String] {
    guard cell.count > width else { return [cell] }
    var lines = [String]()
    var line = ""
    for piece in pieces(cell) {
      let joined = line.isEmpty ? piece.text : line + (piece.spaced ? " " : "") + piece.text
      if joined.count <= width {
        line = joined
        continue
      }
      if !line.isEmpty { lines.append(line) }
      line = piece.text
      while line.count > width && !piece.isNumeric {
        lines.append(String(line.prefix(width)))
        line = String(line.dropFirst(width))
      }
    }
    if !line.isEmpty || lines.isEmpty { lines.append(line) }
    return lines
  }
}
