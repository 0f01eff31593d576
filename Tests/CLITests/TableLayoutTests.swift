import Foundation
import PropertyTesting
import Testing

@testable import GSATheoryCLI

@Suite struct TableLayoutTests {
  /// Three rows shaped like `check`'s: short ids, tags, a hyphenated verdict, a long finding.
  static let sample = TextTable(
    headers: ["claim", "source", "verdict", "finding"],
    rows: [
      [
        "CX-breakeven", "[3p]", "holds-with-correction",
        "the ≈4K figure is the simplified core accounting in which every query attends k keys (4229.8 tokens); the exact causal counts cross at 2492.5 for the core and at 9339.1 for the whole layer.",
      ],
      ["BD-gate-slope", "[fig][rec]", "holds", "sup σ' = 0.2499999998 at x = 0; tight."],
      [
        "CV-selection-discontinuity", "[3p][rec]", "refuted",
        "S_t changed between training steps for up to 18% of queries per step, so the fixed-S_t argument covers training only piecewise.",
      ],
    ])

  @Test func snapshotAt80Columns() {
    let expected = """
      claim                  source      verdict                finding
      ---------------------  ----------  ---------------------  ----------------------
      CX-breakeven           [3p]        holds-with-correction  the ≈4K figure is the
                                                                simplified core
                                                                accounting in which
                                                                every query attends k
                                                                keys (4229.8 tokens);
                                                                the exact causal
                                                                counts cross at 2492.5
                                                                for the core and at
                                                                9339.1 for the whole
                                                                layer.
      BD-gate-slope          [fig][rec]  holds                  sup σ' = 0.2499999998
                                                                at x = 0; tight.
      CV-selection-          [3p][rec]   refuted                S_t changed between
      discontinuity                                             training steps for up
                                                                to 18% of queries per
                                                                step, so the fixed-S_t
                                                                argument covers
                                                                training only
                                                                piecewise.
      """
    #expect(Self.sample.rendered(width: 80) == expected + "\n")
    #expect(Self.sample.rendered(width: 80).split(separator: "\n").allSatisfy { $0.count <= 80 })
  }

  @Test func snapshotAt120Columns() {
    let expected = """
      claim                       source      verdict                finding
      --------------------------  ----------  ---------------------  ---------------------------------------------------------
      CX-breakeven                [3p]        holds-with-correction  the ≈4K figure is the simplified core accounting in which
                                                                     every query attends k keys (4229.8 tokens); the exact
                                                                     causal counts cross at 2492.5 for the core and at 9339.1
                                                                     for the whole layer.
      BD-gate-slope               [fig][rec]  holds                  sup σ' = 0.2499999998 at x = 0; tight.
      CV-selection-discontinuity  [3p][rec]   refuted                S_t changed between training steps for up to 18% of
                                                                     queries per step, so the fixed-S_t argument covers
                                                                     training only piecewise.
      """
    #expect(Self.sample.rendered(width: 120) == expected + "\n")
  }

  @Test func fullWidthKeepsOneLinePerRow() {
    let full = Self.sample.rendered(width: nil)
    #expect(full.split(separator: "\n").count == 2 + Self.sample.rows.count)
    #expect(full == Self.sample.rendered(width: 10_000))
  }

  @Test func widthComesFromWideThenColumnsThenTerminal() {
    #expect(TableWidth.resolve(wide: true, environment: ["COLUMNS": "80"], terminalColumns: 90) == nil)
    #expect(TableWidth.resolve(wide: false, environment: ["COLUMNS": "80"], terminalColumns: 90) == 80)
    #expect(TableWidth.resolve(wide: false, environment: ["COLUMNS": "junk"], terminalColumns: 90) == 90)
    #expect(TableWidth.resolve(wide: false, environment: [:], terminalColumns: nil) == 100)
    #expect(TableWidth.resolve(wide: false, environment: ["COLUMNS": "3"], terminalColumns: nil) == TableWidth.minimum)
  }

  /// A random table: words of letters (some hyphenated), numbers, numeric cells.
  static var tables: Gen<(TextTable, Int)> {
    let word = Gen.zip(Gen.int(in: 1...14), Gen.int(in: 0...3)).map { length, kind -> String in
      let letters = String(repeating: "abcdefghijklmn".map { String($0) }[length - 1], count: length)
      switch kind {
      case 0: return String(length * 37) + "." + String(length)
      case 1: return letters + "-" + letters
      default: return letters
      }
    }
    let cell = Gen.zip(word.array(count: Gen.int(in: 1...12)), Gen.int(in: 0...4)).map { words, kind in
      kind == 0 ? String(words.count * 1013) + "×" : words.joined(separator: " ")
    }
    let columns = Gen.int(in: 1...5)
    return Gen.zip(columns, Gen.int(in: 1...6), Gen.int(in: 40...160)).flatMap { columns, rows, width in
      cell.array(count: .constant(columns)).array(count: .constant(rows)).map { cells in
        (TextTable(headers: (0..<columns).map { "column \($0)" }, rows: cells), width)
      }
    }
  }

  /// Lines fit whenever the numeric pieces allow it; every numeric piece of every cell is
  /// printed whole on one line; the pieces of each cell come out in order.
  @Test func wrappedTablesFitAndKeepNumbersWhole() throws {
    try forAll(Self.tables) { table, width in
      let text = table.rendered(width: width)
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
      let floor =
        (0..<table.headers.count).map { column in
          ([table.headers] + table.rows).flatMap { TableLayout.pieces($0[column]) }.filter(\.isNumeric).map(\.text.count).max() ?? 0
        }.map { max($0, 4) }.reduce(0, +) + 2 * (table.headers.count - 1)
      if floor <= width, !lines.allSatisfy({ $0.count <= width }) { return false }
      for row in table.rows {
        for cell in row {
          for piece in TableLayout.pieces(cell) where piece.isNumeric {
            if !lines.contains(where: { $0.contains(piece.text) }) { return false }
          }
        }
      }
      return true
    }
  }

  @Test func wrapKeepsEveryPieceInOrder() throws {
    try forAll(Self.tables) { table, width in
      for cell in table.rows.flatMap({ $0 }) {
        let columnWidth = max(4, width / 4)
        let lines = TableLayout.wrap(cell, width: columnWidth)
        let numericOverflow = lines.contains { $0.count > columnWidth && !TableLayout.pieces($0).allSatisfy(\.isNumeric) }
        if numericOverflow { return false }
        let rejoined = lines.joined().filter { $0 != " " }
        if rejoined != cell.filter({ $0 != " " }) { return false }
      }
      return true
    }
  }

  @Test func piecesBreakAtSpacesHyphensBetweenLettersAndTags() {
    #expect(TableLayout.pieces("holds-with-correction").map(\.text) == ["holds-", "with-", "correction"])
    #expect(TableLayout.pieces("[fig][3p] x").map(\.text) == ["[fig]", "[3p]", "x"])
    #expect(TableLayout.pieces("1.276e-05 -5.44%").map(\.text) == ["1.276e-05", "-5.44%"])
    #expect(TableLayout.pieces("a b").map(\.spaced) == [false, true])
  }

  /// The real command: at COLUMNS=100 no line of `check` is longer than 100 characters, and
  /// `--wide` keeps the full rows.
  @Test func checkFitsHundredColumns() throws {
    let fitted = try ToolRunner.run(["check", "--quick"], environment: ["COLUMNS": "100"])
    #expect(fitted.exitCode == 0)
    let widest = fitted.stdout.split(separator: "\n").map(\.count).max() ?? 0
    #expect(widest <= 100, "widest line \(widest)")
    let wide = try ToolRunner.run(["check", "complexity", "--quick", "--wide"], environment: ["COLUMNS": "100"])
    #expect(wide.exitCode == 0)
    #expect((wide.stdout.split(separator: "\n").map(\.count).max() ?? 0) > 100)
    let list = try ToolRunner.run(["check", "--list"], environment: ["COLUMNS": "80"])
    #expect(list.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 })
  }
}
