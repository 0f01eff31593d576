import Foundation
import GSAModel
import GSATheory

extension Commands {
  /// `gsa-theory plot-data --out DIR`: every dataset the notebooks and docs/ plot, one JSON file
  /// each, plus `manifest.json`. Each dataset is produced by one function in `PlotDatasets`,
  /// either from the library directly or by running a subcommand in-process with `--format json`
  /// (never by shelling out), so the files carry exactly the schema the CLI documents.
  static let plotData = Command(
    name: "plot-data",
    abstract: "Write every dataset the notebooks and docs plot (JSON files with schema_version).",
    discussion: """
      Writes DIR/<dataset>.json for each dataset (cost-model predictions over L and k, sweeps with fits, claim verdicts, \
      convergence and stability runs, roofline, the paper's reported numbers as labelled reference data) and \
      DIR/manifest.json listing them. Every file is an envelope {schema_version, dataset, scale, seed, command, data}: \
      `command` is the equivalent gsa-theory command line when the data is a command's JSON report. Files are written \
      atomically. A dataset whose command is not in this build is listed as unavailable; exit 1 when a dataset failed.
      """,
    options: [
      OptionSpec("--out", value: "DIR", help: "Directory to write the datasets into (created if missing)."),
      OptionSpec("--small", help: "Small scale (short sweeps, quick checks, few seeds) so CI runs in seconds."),
      OptionSpec("--only", value: "NAME,...", help: "Produce only these datasets (see --list)."),
      OptionSpec("--list", help: "List the datasets and what each holds, without producing them."),
    ],
    examples: [
      "gsa-theory plot-data --out out/plot-data", "gsa-theory plot-data --out /tmp/pd --small",
      "gsa-theory plot-data --list", "gsa-theory plot-data --out /tmp/pd --only paper_reference,predictions_length",
    ]
  ) { invocation in
    let options = invocation.options
    let names = PlotDatasets.all.map(\.name)
    var selected = PlotDatasets.all
    if let only = try options.choiceList("--only", names) {
      selected = PlotDatasets.all.filter { only.contains($0.name) }
    }
    if options.flag("--list") {
      let table = TextTable(headers: ["dataset", "holds"], rows: selected.map { [$0.name, $0.description] })
      let json: JSONValue = [
        "schema_version": 1,
        "datasets": .array(selected.map { ["name": .string($0.name), "description": .string($0.description)] }),
      ]
      return CommandResult(report: Report(json: json, table: table.rendered(), csv: table.csv()))
    }
    guard let directory = options.string("--out"), !directory.isEmpty else {
      throw UsageError("plot-data: --out DIR is required (e.g. --out out/plot-data)")
    }
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw CommandFailure("plot-data: cannot create directory '\(directory)': \(error.localizedDescription)")
    }
    let context = PlotDataContext(small: options.flag("--small"), seed: invocation.seed)
    var entries = [JSONValue]()
    var rows = [[String]]()
    var failures = 0
    for (index, dataset) in selected.enumerated() {
      invocation.progress.update(index, of: selected.count, dataset.name)
      let file = dataset.name + ".json"
      let start = DispatchTime.now().uptimeNanoseconds
      var status = "ok"
      var detail = ""
      var command: String?
      do {
        let produced = try dataset.produce(context)
        command = produced.command
        let envelope: JSONValue = [
          "schema_version": 1,
          "dataset": .string(dataset.name),
          "description": .string(dataset.description),
          "tool_version": .string(CLI.version),
          "scale": .string(context.scale),
          "seed": .string(String(context.seed)),
          "command": produced.command.map(JSONValue.string) ?? .null,
          "exit_code": .int(Int(produced.exitCode)),
          "data": produced.data,
        ]
        try writeAtomically(envelope.serialized() + "\n", to: directory + "/" + file)
        if produced.exitCode != 0 { detail = "command exit \(produced.exitCode)" }
      } catch let unavailable as DatasetUnavailable {
        status = "unavailable"
        detail = unavailable.reason
      } catch {
        status = "failed"
        detail = "\(error)"
        failures += 1
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      entries.append([
        "name": .string(dataset.name), "file": status == "ok" ? .string(file) : .null, "status": .string(status),
        "detail": .string(detail), "command": command.map(JSONValue.string) ?? .null, "seconds": .number((seconds * 100).rounded() / 100),
        "description": .string(dataset.description),
      ])
      rows.append([dataset.name, status, String(format: "%.2f", seconds), status == "ok" ? file : detail])
    }
    invocation.progress.update(selected.count, of: selected.count, "done")
    let manifest: JSONValue = [
      "schema_version": 1,
      "tool_version": .string(CLI.version),
      "scale": .string(context.scale),
      "seed": .string(String(context.seed)),
      "datasets": .array(entries),
    ]
    try writeAtomically(manifest.serialized() + "\n", to: directory + "/manifest.json")
    let table = TextTable(headers: ["dataset", "status", "seconds", "file"], rows: rows)
    return CommandResult(
      report: Report(json: manifest, table: table.rendered() + "written to \(directory)/\n", csv: table.csv()),
      exitCode: failures == 0 ? 0 : 1)
  }
}

/// A dataset that cannot be produced by this build (its command or library has not landed).
struct DatasetUnavailable: Error, CustomStringConvertible {
  let reason: String
  var description: String { reason }
}

/// The settings every dataset function gets.
struct PlotDataContext: Sendable {
  /// `--small`: CI scale.
  let small: Bool
  /// `--seed`: passed on to every command and simulation.
  let seed: UInt64

  var scale: String { small ? "small" : "full" }

  /// `full` normally, `small` with `--small`.
  func scaled<T>(full: T, small smallValue: T) -> T { small ? smallValue : full }

  /// Runs `gsa-theory <arguments> --format json --seed SEED` in-process and returns its JSON report.
  /// Throws `DatasetUnavailable` when the command is not in this build.
  func run(_ arguments: [String]) throws -> PlotDatasetContent {
    guard let name = arguments.first, let command = Commands.all.first(where: { $0.name == name }) else {
      throw DatasetUnavailable(reason: "command '\(arguments.first ?? "")' is not in this build")
    }
    let full = arguments + ["--seed", String(seed), "--format", "json"]
    let options = try ParsedOptions.parse(
      Array(full.dropFirst()), specs: command.allOptions, allowsPositionals: command.positionals != nil, command: name)
    let invocation = Invocation(command: name, options: options, seed: seed, format: .json, progress: .disabled)
    let result = try command.run(invocation)
    return PlotDatasetContent(data: result.report.json, command: "gsa-theory " + full.joined(separator: " "), exitCode: result.exitCode)
  }
}

/// What a dataset function produced: the data and, for command reports, the equivalent command line.
struct PlotDatasetContent: Sendable {
  var data: JSONValue
  var command: String?
  var exitCode: Int32 = 0
}

/// One file `plot-data` writes.
struct PlotDataset: Sendable {
  let name: String
  let description: String
  let produce: @Sendable (PlotDataContext) throws -> PlotDatasetContent
}

/// Every dataset the notebooks read, one function each. Adding a dataset is adding an entry here.
enum PlotDatasets {
  static let all: [PlotDataset] = [
    paperReference,
    claims,
  ]

  /// The paper's REPORTED numbers (never computed), for figures that set computed curves against them.
  static let paperReference = PlotDataset(
    name: "paper_reference",
    description: "The paper's reported numbers (k-ablation, 12–16×, efficiency, stability, sink, headline) with source tags."
  ) { _ in
    let rows: [JSONValue] = PaperReported.all.map { value in
      [
        "table": .string(value.table), "row": .string(value.row), "parameter": value.parameter.map(JSONValue.number) ?? .null,
        "quantity": .string(value.quantity), "value": .number(value.value), "unit": .string(value.unit),
        "source": .string(value.source.tag), "note": .string(value.note),
      ]
    }
    let data: JSONValue = [
      "kind": "reported by the paper, not computed",
      "values": .array(rows),
    ]
    return PlotDatasetContent(data: data)
  }

  /// `gsa-theory check`: every claim with its verdict and evidence.
  static let claims = PlotDataset(
    name: "claims", description: "Every claim's verdict, source tag and evidence (gsa-theory check)."
  ) { context in
    try context.run(["check"] + context.scaled(full: [], small: ["--quick"]))
  }
}
