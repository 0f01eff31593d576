import Foundation
import GSAModel
import GSATheory
import GSLKit

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
      atomically. A dataset whose command is not in this build is listed as unavailable; exit 1 when a dataset failed. \
      With --only, an existing DIR/manifest.json of the same schema_version is merged: entries of the datasets not \
      regenerated are kept (each entry records its own scale and seed; the top-level scale and seed are "mixed" when \
      they differ), the regenerated ones replaced; an unreadable manifest or another schema_version is replaced whole.
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
    var entries = [PlotDataManifest.Entry]()
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
      entries.append(
        PlotDataManifest.Entry(
          name: dataset.name, file: status == "ok" ? file : nil, status: status, detail: detail, command: command,
          seconds: (seconds * 100).rounded() / 100, description: dataset.description, scale: context.scale,
          seed: String(context.seed)))
      rows.append([dataset.name, status, String(format: "%.2f", seconds), status == "ok" ? file : detail])
    }
    invocation.progress.update(selected.count, of: selected.count, "done")
    let manifestPath = directory + "/manifest.json"
    let merged = PlotDataManifest.merge(
      previous: PlotDataManifest.read(manifestPath), produced: entries, order: PlotDatasets.all.map(\.name))
    let manifest = PlotDataManifest.json(merged)
    try writeAtomically(manifest.serialized() + "\n", to: manifestPath)
    let table = TextTable(headers: ["dataset", "status", "seconds", "file"], rows: rows)
    return CommandResult(
      report: Report(json: manifest, table: table.rendered() + "written to \(directory)/\n", csv: table.csv()),
      exitCode: failures == 0 ? 0 : 1)
  }
}

/// DIR/manifest.json: one entry per dataset, merged across `--only` runs.
enum PlotDataManifest {
  static let schemaVersion = 1

  /// One dataset's line in the manifest. `scale` and `seed` are the run's that produced it.
  struct Entry: Sendable, Equatable {
    var name: String
    var file: String?
    var status: String
    var detail: String
    var command: String?
    var seconds: Double
    var description: String
    var scale: String
    var seed: String

    var json: JSONValue {
      [
        "name": .string(name), "file": file.map(JSONValue.string) ?? .null, "status": .string(status), "detail": .string(detail),
        "command": command.map(JSONValue.string) ?? .null, "seconds": .number(seconds), "description": .string(description),
        "scale": .string(scale), "seed": .string(seed),
      ]
    }
  }

  /// The entries of the manifest at `path`, or nil when it is missing, unreadable, malformed or of
  /// another `schema_version` (then the caller writes a fresh manifest). Entries written before
  /// entries carried `scale`/`seed` take the manifest's top-level ones.
  static func read(_ path: String) -> [Entry]? {
    guard let bytes = FileManager.default.contents(atPath: path),
      let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any],
      object["schema_version"] as? Int == schemaVersion, let datasets = object["datasets"] as? [[String: Any]]
    else { return nil }
    let topScale = object["scale"] as? String, topSeed = object["seed"] as? String
    var entries = [Entry]()
    for item in datasets {
      guard let name = item["name"] as? String, let status = item["status"] as? String,
        let scale = item["scale"] as? String ?? topScale, let seed = item["seed"] as? String ?? topSeed
      else { return nil }
      entries.append(
        Entry(
          name: name, file: item["file"] as? String, status: status, detail: item["detail"] as? String ?? "",
          command: item["command"] as? String, seconds: item["seconds"] as? Double ?? 0,
          description: item["description"] as? String ?? "", scale: scale, seed: seed))
    }
    return entries
  }

  /// `produced` plus the `previous` entries of datasets not produced now (only datasets still in
  /// `order`), sorted by `order`.
  static func merge(previous: [Entry]?, produced: [Entry], order: [String]) -> [Entry] {
    let producedNames = Set(produced.map(\.name))
    let kept = (previous ?? []).filter { !producedNames.contains($0.name) && order.contains($0.name) }
    var byName = [String: Entry]()
    for entry in kept + produced { byName[entry.name] = entry }
    return order.compactMap { byName[$0] }
  }

  /// The manifest document. Top-level `scale`/`seed` are the entries' common ones, or "mixed".
  static func json(_ entries: [Entry]) -> JSONValue {
    func common(_ values: [String]) -> String {
      values.first.map { first in values.allSatisfy { $0 == first } ? first : "mixed" } ?? ""
    }
    return [
      "schema_version": .int(schemaVersion),
      "tool_version": .string(CLI.version),
      "scale": .string(common(entries.map(\.scale))),
      "seed": .string(common(entries.map(\.seed))),
      "datasets": .array(entries.map(\.json)),
    ]
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
    predictPaper,
    predictionsLength,
    predictionsK,
    claims,
    adaptiveK,
    roofline,
    sweep,
    convergenceRuns,
    stability,
  ]

  /// Lengths 2^a·{1, √2} from 2^9 to 2^21 (512 … 2M tokens), rounded: a log-spaced grid through 128K.
  static let lengthGrid: [Int] = stride(from: 18, through: 42, by: 1).map { Int((pow(2, Double($0) / 2)).rounded()) }

  /// Budgets 2^a·{1, √2} from 64 to 16384, rounded (includes the ablation's 512 … 4096).
  static let budgetGrid: [Int] = stride(from: 12, through: 28, by: 1).map { Int((pow(2, Double($0) / 2)).rounded()) }

  /// The cost model's attention-core terms, break-even, crossover and cap under one convention.
  static func coreJSON(_ model: PaperCostModel, _ convention: PaperCostModel.Convention) -> JSONValue {
    let core = model.core(convention)
    return [
      "dense": .number(core.dense), "indexer": .number(core.indexer), "sparse": .number(core.sparse),
      "speedup": .number(core.speedup), "break_even_length": .number(model.breakEven(convention)),
      "indexer_crossover_length": .number(model.indexerCrossover(convention)), "cap": .number(model.cap(convention)),
    ]
  }

  /// Whole-layer totals and speedup over dense of every variant under one convention.
  static func layerJSON(_ model: PaperCostModel, _ convention: PaperCostModel.Convention) -> JSONValue {
    .object(
      Variant.allCases.map { variant in
        let terms = model.layer(variant, convention)
        return (
          variant.rawValue,
          [
            "flops": .object(FlopBucket.allCases.map { ($0.rawValue, JSONValue.number(terms[$0])) } + [("total", .number(terms.total))]),
            "speedup_over_dense": .number(model.layerSpeedup(variant, convention)),
          ]
        )
      })
  }

  static func configurationJSON(_ config: LayerConfig) -> JSONValue {
    [
      "d_model": .int(config.modelDim), "heads": .int(config.heads), "kv_heads": .int(config.kvHeads),
      "head_dim": .int(config.headDim), "indexer_heads": .int(config.indexerHeads), "indexer_dim": .int(config.indexerDim),
      "k_base": .int(config.kBase), "k_min": .int(config.kMin), "k_max": .int(config.kMax),
    ]
  }

  static let conventionsJSON: JSONValue = [
    "o-ratio": "[fig][3p] O-terms with coefficient 1: dense L^2*D, GSA L^2*d_I*H_I + L*k*D",
    "causal": "[rec] multiply-add = 2 FLOPs; dense core and indexer halved by the causal mask, sparse core not",
  ]

  /// `gsa-theory predict --preset paper`: per-bucket FLOPs, speedups, break-even, memory at 128K.
  static let predictPaper = PlotDataset(
    name: "predict_paper", description: "The cost model at the paper's configuration and L = 128K (gsa-theory predict --preset paper)."
  ) { context in
    try context.run(["predict", "--preset", "paper"])
  }

  /// The cost model over L at the paper's configuration: core terms, speedups, layer totals.
  static let predictionsLength = PlotDataset(
    name: "predictions_length",
    description: "Cost-model FLOPs and speedups over L (512 … 2M) at the paper's configuration, both conventions, core and layer."
  ) { _ in
    let config = LayerConfig.paper
    let points: [JSONValue] = lengthGrid.map { length in
      let model = PaperCostModel(config: config, length: length)
      return [
        "length": .int(length),
        "core": .object(PaperCostModel.Convention.allCases.map { ($0.rawValue, coreJSON(model, $0)) }),
        "layer": .object(PaperCostModel.Convention.allCases.map { ($0.rawValue, layerJSON(model, $0)) }),
      ]
    }
    let data: JSONValue = [
      "configuration": configurationJSON(config), "k": .int(config.kBase), "conventions": conventionsJSON,
      "paper_length": 131072, "points": .array(points),
    ]
    return PlotDatasetContent(data: data)
  }

  /// The cost model over k at L = 128K: the curve the paper's k-ablation is set against.
  static let predictionsK = PlotDataset(
    name: "predictions_k",
    description: "Cost-model speedups over k (64 … 16384) at L = 128K, paper configuration, both conventions, core and layer."
  ) { _ in
    let base = LayerConfig.paper
    let length = 131072
    let budgets = Array(Set(budgetGrid + PaperCostModel.ablationBudgets)).sorted()
    let points: [JSONValue] = budgets.map { k in
      let model = PaperCostModel(config: base, length: length, k: Double(k))
      return [
        "k": .int(k),
        "core": .object(PaperCostModel.Convention.allCases.map { ($0.rawValue, coreJSON(model, $0)) }),
        "layer": .object(PaperCostModel.Convention.allCases.map { ($0.rawValue, layerJSON(model, $0)) }),
      ]
    }
    let data: JSONValue = [
      "configuration": configurationJSON(base), "length": .int(length), "conventions": conventionsJSON,
      "ablation_budgets": .array(PaperCostModel.ablationBudgets.map { .int($0) }), "points": .array(points),
    ]
    return PlotDatasetContent(data: data)
  }

  /// `gsa-theory roofline`: this machine's peak FLOP/s and memory bandwidth.
  static let roofline = PlotDataset(
    name: "roofline", description: "This machine's peak float32 FLOP/s and memory bandwidth (gsa-theory roofline)."
  ) { context in
    try context.run(
      ["roofline"] + context.scaled(full: [], small: ["--repeats", "2", "--fma-per-thread", "4000000", "--triad-elements", "2000000"]))
  }

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

  /// `gsa-theory sweep`: the real kernels over L, counted vs predicted FLOPs, time, fits, break-even.
  static let sweep = PlotDataset(
    name: "sweep",
    description: "Real-kernel sweep over L for the four variants: counted vs predicted FLOPs, time, fits (gsa-theory sweep)."
  ) { context in
    try context.run(
      ["sweep"]
        + context.scaled(
          full: ["--preset", "paper-shape", "--lengths", "1024,2048,4096,8192", "--repeats", "3"],
          small: ["--preset", "tiny", "--lengths", "64,128,256,512", "--repeats", "1", "--peak-gflops", "1"]))
  }

  /// `gsa-theory simulate stability`: max stable lr, spikes, activations, sink shares per variant.
  static let stability = PlotDataset(
    name: "stability",
    description: "Adam training of the four variants: max stable lr, spikes, activations, sink shares (gsa-theory simulate stability)."
  ) { context in
    try context.run(["simulate", "stability"] + context.scaled(full: [], small: ["--quick"]))
  }

  /// Multiples of the theorem's step 1/β at which gradient descent is run (1 is the theorem's step).
  static let stepMultiples: [Double] = [1, 16, 256, 1024, 4096]

  /// Gradient descent on the synthetic regression task of `check-convergence` (its default
  /// layer: D 8, H 2, H_kv 1, d_h 4, H_I 2, d_I 4, k 4, L 12, 4 sequences) for every variant:
  /// the smoothness bound β, sampled gradient-difference ratios, and loss curves at multiples of 1/β.
  static let convergenceRuns = PlotDataset(
    name: "convergence_runs",
    description: "Per variant: smoothness bound β vs sampled gradient-difference ratios, GD loss curves at multiples of 1/β."
  ) { context in
    let config = LayerConfig(
      modelDim: 8, heads: 2, kvHeads: 1, headDim: 4, indexerHeads: 2, indexerDim: 4, kBase: 4, kMin: 1, kMax: 4)
    let steps = context.scaled(full: 300, small: 40)
    var variants = [(String, JSONValue)]()
    for variant in Variant.allCases {
      let base = ConvergenceCheck.Settings(config: config, variant: variant, steps: steps, seed: context.seed)
      // The probe sees the same task and initial student as the runs (ConvergenceCheck.run's draws).
      let rng = GSLRandom(seed: context.seed)
      let batch = ConvergenceCheck.task(base, rng: rng)
      let student = LayerParameters.random(config: config, variant: variant, rng: rng.split())
      let probe = try SmoothnessProbe.run(
        student, batch: batch, rng: GSLRandom(seed: context.seed ^ 0x5EED), samples: context.scaled(full: 12, small: 3),
        powerSteps: context.scaled(full: 8, small: 2))
      var runs = [JSONValue]()
      var beta = Double.nan
      for multiple in stepMultiples {
        var settings = base
        if multiple != 1 {
          let reference = try ConvergenceCheck.run(
            ConvergenceCheck.Settings(config: config, variant: variant, steps: 1, seed: context.seed))
          settings.learningRate = multiple * reference.bound.stepSize
        }
        let result = try ConvergenceCheck.run(settings)
        beta = result.bound.beta
        runs.append([
          "step_multiple": .number(multiple), "learning_rate": .number(result.learningRate),
          "losses": .array(result.losses.map(JSONValue.number)),
          "gradient_norms_squared": .array(result.gradientNormsSquared.map(JSONValue.number)),
          "monotone": .bool(result.monotone), "rate_holds": .bool(result.rateHolds), "rate_bound": .number(result.rateBound),
          "min_gradient_norm_squared": .number(result.minGradientNormSquared),
          "selection_changes": .int(result.selectionChanges), "satisfied": .bool(result.satisfied),
        ])
      }
      variants.append(
        (
          variant.rawValue,
          [
            "beta": .number(beta), "step_size": .number(1 / beta),
            "probe": [
              "samples": .array(
                probe.samples.map { ["radius": .number($0.radius), "ratio": .number($0.ratio), "beta": .number($0.beta)] }),
              "power_iteration_ratio": .number(probe.powerIterationRatio), "beta_at_base": .number(probe.betaAtBase),
              "max_tightness": .number(probe.maxTightness), "violations": .int(probe.violations),
            ],
            "runs": .array(runs),
          ]
        ))
    }
    let data: JSONValue = [
      "assumption": "S_t held fixed within a step; β bounds the smoothness of the loss restricted to fixed S_t [rec]",
      "task": "squared-error regression on a fixed random teacher layer (check-convergence defaults)",
      "configuration": configurationJSON(config), "length": 12, "sequences": 4, "steps": .int(steps),
      "step_multiples": .array(stepMultiples.map(JSONValue.number)), "variants": .object(variants),
    ]
    return PlotDatasetContent(data: data)
  }

  /// The three adaptive-k rules side by side: the library's `adaptiveBudget` over a grid of
  /// relative variances Var_t/V̄ (paper budgets), and the budgets the real GSA layer chose per
  /// query on random input under the `code` and `figure` rules (paper-shape configuration).
  static let adaptiveK = PlotDataset(
    name: "adaptive_k",
    description:
      "Adaptive-k rules (figure, code, fixed): k_t vs Var_t/V̄ at the paper's budgets; k_t chosen per query by the real layer (paper-shape; small: D 128)."
  ) { context in
    let paper = LayerConfig.paper
    let grid = stride(from: -30, through: 15, by: 1).map { pow(10, Double($0) / 10) }
    let curves: [JSONValue] = grid.map { relative in
      .object(
        [("relative_variance", .number(relative))]
          + AdaptiveKRule.allCases.map { rule in
            (
              rule.rawValue,
              JSONValue.int(
                adaptiveBudget(rule: rule, variance: relative, meanVariance: 1, config: paper, candidates: Int.max))
            )
          })
    }
    let length = context.scaled(full: 2048, small: 256)
    var shape = context.scaled(full: LayerConfig.paperShape, small: LayerConfig.small)
    let random = GSLRandom(seed: context.seed)
    let input = try Matrix(rows: length, cols: shape.modelDim, doubles: random.gaussianMatrix(rows: length, cols: shape.modelDim, scale: 1))
    var measured = [(String, JSONValue)]()
    for rule in [AdaptiveKRule.code, .figure] {
      shape.kRule = rule
      let layer = try AttentionLayer(config: shape, variant: .gsa, seed: context.seed)
      let result = try layer.forward(input)
      measured.append(
        (
          rule.rawValue,
          [
            "k": .array(result.kPerQuery.map { .int($0) }),
            "variance": .array(result.indexerVariances.map(JSONValue.number)),
          ]
        ))
    }
    let data: JSONValue = [
      "rules": [
        "figure": "[fig] k_t = clamp(k_base·Var_t/V̄, k_min, k_max): grows with variance",
        "code": "[code] k_t = clamp(k_base·(0.5 + 1/(1 + T·Var_t/V̄)), k_min, k_max), T = 1: shrinks with variance",
        "fixed": "k_t = k_base",
        "prose": "[3p] high variance = confident = fewer tokens (no formula given)",
      ],
      "paper_budgets": ["k_base": .int(paper.kBase), "k_min": .int(paper.kMin), "k_max": .int(paper.kMax)],
      "curves": .array(curves),
      "measured": [
        "configuration": configurationJSON(shape), "length": .int(length), "input": "i.i.d. N(0, 1) tokens",
        "variance_convention": "each rule's own: code = masked-filled row (future entries as 0), figure = causal candidates",
        "rules": .object(measured),
      ],
    ]
    return PlotDatasetContent(data: data)
  }
}
