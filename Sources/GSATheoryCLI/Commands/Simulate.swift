import Foundation
import GSAModel
import GSATheory
import GSLKit

extension Commands {
  /// `gsa-theory simulate stability`: small-scale training-stability simulations of the four variants.
  static let simulate = Command(
    name: "simulate",
    abstract: "Run a simulation: 'stability' trains the four variants with Adam (max stable lr, spikes, activations, sink, S_t changes).",
    discussion: """
      simulate stability: dense, sparse-only, gated-only and GSA (embedding + one layer) trained with Adam (β 0.9/0.95, constant lr) \
      on the same synthetic tasks from the same seeds. Reports mean ± std over seeds of (a) the max stable learning rate \
      (bisection in log η; stable = not diverged and no spike), (b) spike events per 1000 steps at a shared lr, \
      (c) the largest layer output |u|, (d) the first-token attention share on a task whose null queries must output 0, \
      (e) how often S_t changes between steps and whether spikes coincide. Spike: ℒ_t > κ·median of the previous w losses. \
      Diverged: non-finite loss, loss > 10·ℒ₀, or final-10% mean loss > ℒ₀. Gradients hold S_t fixed within a step. \
      Small-scale simulation, not the paper's 1.7B run.
      """,
    options: [
      OptionSpec("--quick", help: "Tiny sizes (seconds; for smoke tests)."),
      OptionSpec("--seeds", value: "N", default: "3", help: "Seeds per variant."),
      OptionSpec("--lr", value: "ETA", default: "0.2", help: "Shared learning rate for the spike and activation runs."),
      OptionSpec("--spike-steps", value: "T", default: "1000", help: "Steps of the shared-lr run."),
      OptionSpec("--bisection-steps", value: "T", default: "200", help: "Steps of each bisection run."),
      OptionSpec("--bisection-iterations", value: "N", default: "6", help: "Bisection halvings of [1e-4, 1] in log η."),
      OptionSpec("--sink-steps", value: "T", default: "600", help: "Steps of the attention-sink run."),
      OptionSpec("--spike-factor", value: "K", default: "2", help: "Spike: loss above K × median of the previous window."),
      OptionSpec("--spike-window", value: "W", default: "20", help: "Window of the spike median."),
      ShardReports.spec(items: "the (variant, seed) runs"),
      OptionSpec(
        "--allow-long-run", help: "Run even when the estimated cost exceeds the budget (20× the default run; see docs/convergence.md)."),
    ],
    positionals: "stability",
    examples: [
      "gsa-theory simulate stability", "gsa-theory simulate stability --quick --format json",
      "gsa-theory simulate stability --seeds 12 --shard 3/4 --format json --output stability-3.json",
    ]
  ) { invocation in
    let o = invocation.options
    guard o.positionals == ["stability"] else {
      throw UsageError(
        "simulate: expected the simulation name 'stability', got '\(o.positionals.joined(separator: " "))'; run 'gsa-theory simulate stability'"
      )
    }
    let quick = o.flag("--quick")
    var s = quick ? StabilitySimulation.Settings.quick : .standard
    s.seed = invocation.seed
    s.seeds = try o.int("--seeds", default: s.seeds, in: 1...100)
    s.sharedLearningRate = try o.double("--lr", default: s.sharedLearningRate, in: 1e-8...100)
    s.spikeSteps = try o.int("--spike-steps", default: s.spikeSteps, in: 10...1_000_000)
    s.bisectionSteps = try o.int("--bisection-steps", default: s.bisectionSteps, in: 10...1_000_000)
    s.bisectionIterations = try o.int("--bisection-iterations", default: s.bisectionIterations, in: 0...40)
    s.sinkSteps = try o.int("--sink-steps", default: s.sinkSteps, in: 1...1_000_000)
    s.spikeFactor = try o.double("--spike-factor", default: s.spikeFactor, in: 1.0000001...1e6)
    s.spikeWindow = try o.int("--spike-window", default: s.spikeWindow, in: 2...100_000)
    if !o.flag("--allow-long-run"),
      let refusal = TrainingCost.refusal(
        "simulate stability", estimate: TrainingCost.stabilitySimulation(s), budget: TrainingCost.stabilitySimulationBudget,
        drivers: "--seeds, --spike-steps, --bisection-steps, --bisection-iterations or --sink-steps", override: "--allow-long-run")
    {
      throw UsageError(refusal)
    }
    let shard = try ShardReports.option(o)
    let progress = invocation.progress
    let started = Date()
    let result = StabilitySimulation.run(s, shard: shard) { done, total in progress.update(done, of: total, "variant × seed runs") }
    let seconds = Date().timeIntervalSince(started)
    return CommandResult(report: stabilityReport(result, seconds: seconds, quick: quick, shard: shard))
  }

  /// The (variant, seed) runs of a simulation, in run order, as shard items ("dense seed 1").
  static func stabilityItems(_ s: StabilitySimulation.Settings) -> [String] {
    s.variants.flatMap { v in (1...s.seeds).map { "\(v.rawValue) seed \($0)" } }
  }

  /// The settings of `simulate stability` as its report writes them; `merge` rebuilds the
  /// settings from this and requires the same object back.
  static func stabilitySettingsJSON(_ s: StabilitySimulation.Settings, quick: Bool) -> JSONValue {
    [
      "seed": .int(Int(truncatingIfNeeded: s.seed)), "seeds": .int(s.seeds), "dim": .int(s.config.modelDim),
      "heads": .int(s.config.heads),
      "kv_heads": .int(s.config.kvHeads), "head_dim": .int(s.config.headDim), "k": .int(s.config.kBase), "length": .int(s.length),
      "batch": .int(s.batch), "vocabulary": .int(s.vocabulary), "shared_lr": .number(s.sharedLearningRate),
      "spike_steps": .int(s.spikeSteps), "sink_steps": .int(s.sinkSteps), "sink_lr": .number(s.sinkLearningRate),
      "quick": .bool(quick), "bisection_steps": .int(s.bisectionSteps), "bisection_iterations": .int(s.bisectionIterations),
      "spike_factor": .number(s.spikeFactor), "spike_window": .int(s.spikeWindow),
    ]
  }

  static func stabilityReport(_ r: StabilitySimulation.Result, seconds: Double, quick: Bool = false, shard: Shard? = nil) -> Report {
    let s = r.settings
    let definitions: JSONValue = [
      "spike": .string(
        "loss on a fixed evaluation batch; step t >= \(s.spikeWindow) with loss > \(s.spikeFactor) x median m of the previous \(s.spikeWindow) losses and loss - m > 0.01 x initial loss; consecutive spike steps are one event"
      ),
      "diverged": .string(
        "non-finite loss, loss > \(s.divergenceFactor) x initial loss, or mean loss of the last 10% of steps > initial loss"),
      "stable": "not diverged and no spike event",
      "max_stable_lr": .string(
        "bisection in log lr over [\(s.lrRange.lowerBound), \(s.lrRange.upperBound)], \(s.bisectionIterations) halvings, \(s.bisectionSteps) steps per run"
      ),
      "assumption": .string(
        fixedSelectionAssumption + "; the indexer stays at its initialisation, S_t moves because the embedding is trained"),
      "optimizer": "Adam beta (0.9, 0.95), eps 1e-8, constant lr, no warm-up, no clipping, no weight decay",
      "tasks":
        "teacher: targets from a fixed random dense teacher layer on random tokens; sink: BOS at position 0, null tokens must output 0, others the running mean of fixed codes",
      "scale_note": "small-scale simulation (embedding + one attention layer), not the paper's 1.7B run",
    ]
    func summary(_ x: StabilitySimulation.Summary) -> JSONValue {
      ["mean": .number(x.mean), "std": .number(x.std), "min": .number(x.min), "max": .number(x.max)]
    }
    var variants: [(String, JSONValue)] = []
    var table = TextTable(headers: [
      "variant", "max stable lr", "spikes/1000", "max |u|", "sink share (null q)", "sink share (all q)", "S_t change rate",
      "spikes at S_t change", "S_t change into spikes",
    ])
    func pm(_ x: StabilitySimulation.Summary, _ f: (Double) -> String = { formatNumber($0, digits: 3) }) -> String {
      x.mean.isNaN ? "n/a" : "\(f(x.mean)) ± \(f(x.std))"
    }
    let percent = { (x: Double) in String(format: "%.1f%%", 100 * x) }
    for v in s.variants {
      let lr = r.summary(v, \.maxStableLR)
      let spikes = r.summary(v, \.spikesPerThousand)
      let act = r.summary(v, \.maxActivation)
      let sinkNull = r.summary(v, \.firstTokenShareNull)
      let sinkAll = r.summary(v, \.firstTokenShareAll)
      let change = r.summary(v, \.selectionChangeRate)
      let events = r.cells(v).reduce(0) { $0 + $1.spikeEvents }
      let coincide = r.cells(v).reduce(0) { $0 + $1.spikesAtSelectionChange }
      variants.append(
        (
          v.rawValue,
          [
            "max_stable_lr": summary(lr), "spikes_per_1000": summary(spikes), "max_activation": summary(act),
            "first_token_share_null_queries": summary(sinkNull), "first_token_share_all_queries": summary(sinkAll),
            "sink_task_final_loss": summary(r.summary(v, \.sinkFinalLoss)),
            "selection_change_rate": summary(change), "steps_with_selection_change": summary(r.summary(v, \.stepsWithSelectionChange)),
            "spike_events": .int(events), "spike_events_at_selection_change": .int(coincide),
            "selection_change_share_going_into_spikes": summary(r.summary(v, \.selectionChangeAtSpikes)),
            "per_seed": .array(
              r.cells(v).map {
                [
                  "seed": .int(Int(truncatingIfNeeded: $0.seed)), "max_stable_lr": .number($0.maxStableLR),
                  "spikes_per_1000": .number($0.spikesPerThousand), "max_activation": .number($0.maxActivation),
                  "first_token_share_null_queries": .number($0.firstTokenShareNull),
                  "selection_change_rate": .number($0.selectionChangeRate),
                  "shared_run_diverged": .bool($0.sharedRunDiverged),
                  "first_token_share_all_queries": .number($0.firstTokenShareAll), "sink_task_final_loss": .number($0.sinkFinalLoss),
                  "steps_with_selection_change": .number($0.stepsWithSelectionChange), "spike_events": .int($0.spikeEvents),
                  "spike_events_at_selection_change": .int($0.spikesAtSelectionChange),
                  "selection_change_share_going_into_spikes": .number($0.selectionChangeAtSpikes),
                ]
              }),
          ]
        ))
      table.rows.append([
        v.rawValue, pm(lr), pm(spikes), pm(act), pm(sinkNull, percent), pm(sinkAll, percent),
        v.isSparse ? pm(change, percent) : "n/a", v.isSparse ? "\(coincide)/\(events)" : "n/a",
        v.isSparse ? pm(r.summary(v, \.selectionChangeAtSpikes), percent) : "n/a",
      ])
    }
    let dense = r.summary(.dense, \.maxStableLR).mean, gsa = r.summary(.gsa, \.maxStableLR).mean
    var json: JSONValue = [
      "schema_version": 1,
      "command": "simulate stability",
      "definitions": definitions,
      "settings": stabilitySettingsJSON(s, quick: quick),
      "variants": .object(variants),
      "paper": [
        "max_stable_lr": "4e-3 -> 8e-3 (2x) [code]", "spikes_per_100k": "12.3 -> 0.3 [code]", "max_activation": "1053 -> 87 [code]",
        "first_token_attention": "46.7% -> 3.9% [code]",
      ],
      "gsa_over_dense_max_stable_lr": .number(gsa / dense),
      "runtime_seconds": .number(seconds),
    ]
    if let shard { json = json.setting("shard", ShardReports.json(shard, items: stabilityItems(s))) }
    let text = """
      simulate stability: \(s.seeds) seeds × \(s.variants.count) variants\(shard.map { " (shard \($0): \(r.cells.count) of \(s.seeds * s.variants.count) runs)" } ?? ""), small-scale simulation (embedding + one layer), not the paper's 1.7B run
      spike: eval loss > \(formatNumber(s.spikeFactor)) × median m of previous \(s.spikeWindow) and > m + 0.01·ℒ₀; diverged: non-finite, > \(formatNumber(s.divergenceFactor))×ℒ₀, or final mean > ℒ₀; stable: neither
      shared lr \(formatNumber(s.sharedLearningRate)) for spikes/activations over \(s.spikeSteps) steps; sink task \(s.sinkSteps) steps at lr \(formatNumber(s.sinkLearningRate))
      assumption: \(fixedSelectionAssumption)

      \(table.rendered())
      max stable lr, GSA / dense: \(formatNumber(gsa / dense, digits: 3))× (paper: 8e-3 / 4e-3 = 2×)
      paper [code]: spikes 12.3 → 0.3 per 100K steps; max activation 1053 → 87; first-token attention 46.7% → 3.9%
      runtime: \(String(format: "%.1f", seconds)) s

      """
    return Report(json: json, table: text, csv: table.csv())
  }
}
