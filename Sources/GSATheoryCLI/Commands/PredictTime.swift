import Foundation
import GSAModel
import GSATheory

extension Commands {
  static let onChipSpec = OptionSpec(
    "--on-chip", value: "F", default: "0",
    help: "With a GPU spec profile: fraction (0...1) of the sparse core's gathered K/V bytes served on chip at no cost.")

  /// `predict --machine`: the TimeModel's seconds per bucket for each variant, the time speedup
  /// over dense beside the FLOP speedup, appended to the predict report.
  static func withTimePrediction(
    _ report: Report, profile: MachineProfile, config: LayerConfig, variants: [Variant], phase: TimeModel.Phase, length: Int,
    batch: Int, elementBytes: Int, onChipFraction: Double
  ) -> Report {
    let precision: MachineProfile.Precision = elementBytes == 2 ? .bf16 : .fp32
    let model = TimeModel(profile: profile, precision: precision, onChipFraction: onChipFraction)
    let all = Array(Set(variants + [.dense])).sorted { Variant.allCases.firstIndex(of: $0)! < Variant.allCases.firstIndex(of: $1)! }
    var predictions = [Variant: TimeModel.Prediction]()
    var flops = [Variant: Double]()
    for v in all {
      predictions[v] = model.predict(config: config, variant: v, phase: phase, length: length, batch: batch, elementBytes: elementBytes)
      let cost = CostModel(config: config.configured(for: v), variant: v, elementBytes: elementBytes)
      let ledger = phase == .prefill ? cost.ledger(length: length) : cost.decodeLedger(length: length, batch: batch)
      flops[v] = Double(ledger.usefulTotal.flops)
    }
    let dense = predictions[.dense]!.total, denseFlops = flops[.dense]!
    var rows = [[String]]()
    var members: [(String, JSONValue)] = []
    var csvRows = [[String]]()
    for v in variants {
      let p = predictions[v]!
      for bucket in FlopBucket.allCases {
        let b = p.buckets[bucket]!
        guard b.seconds > 0 else { continue }
        rows.append([
          v.rawValue, bucket.rawValue, formatNumber(b.seconds * 1e3, digits: 4), b.limit,
          formatNumber(b.computeSeconds * 1e3, digits: 4), formatNumber(b.memorySeconds * 1e3, digits: 4),
          String(format: "%.0f%%", 100 * b.seconds / p.total),
        ])
        csvRows.append([v.rawValue, bucket.rawValue, String(b.seconds), b.limit, String(b.computeSeconds), String(b.memorySeconds)])
      }
      rows.append([
        v.rawValue, "total", formatNumber(p.total * 1e3, digits: 4),
        "time ×\(formatNumber(dense / p.total, digits: 3)), FLOPs ×\(formatNumber(denseFlops / flops[v]!, digits: 3))", "", "", "",
      ])
      members.append(
        (
          v.rawValue,
          [
            "predicted_seconds": predictedSecondsJSON(p), "time_speedup_over_dense": .number(dense / p.total),
            "flop_speedup_over_dense": .number(denseFlops / flops[v]!),
          ]
        ))
    }
    let source =
      profile.kind == "measured"
      ? "measured profile '\(profile.machine.name)' (\(profile.machine.model), \(profile.date)), all-cores rates"
      : "spec profile '\(profile.machine.name)' (\(profile.machine.model)) at \(precision.rawValue) peak, on-chip fraction \(formatNumber(onChipFraction, digits: 3))"
    let unpriced = Set(predictions.values.flatMap(\.unpriced)).sorted()
    var json = report.json
    if case .object(var top) = json {
      top.append(
        (
          "time",
          [
            "machine": .string(profile.machine.name), "kind": .string(profile.kind), "precision": .string(precision.rawValue),
            "on_chip_fraction": .number(onChipFraction), "phase": .string(phase.rawValue),
            "unpriced": .array(unpriced.map { .string($0) }), "variants": .object(members),
          ]
        ))
      json = .object(top)
    }
    var text = report.table
    text += "\nPredicted time per bucket (TimeModel, docs/time-model.md; \(source)):\n"
    text += TextTable(headers: ["variant", "bucket", "ms", "limit", "compute ms", "memory ms", "share"], rows: rows).rendered()
    if !unpriced.isEmpty {
      text += "Not priced (no rate in the profile): \(unpriced.joined(separator: ", ")); the times are lower bounds.\n"
    }
    let csv = TextTable(
      headers: ["variant", "bucket", "predicted_seconds", "limit", "compute_seconds", "memory_seconds"], rows: csvRows
    ).csv()
    return Report(json: json, table: text, csv: report.csv.map { $0 + "\n" + csv } ?? csv)
  }
}
