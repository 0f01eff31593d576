import Foundation
import GSAModel
import GSATheory

extension Commands {
  /// Adds the prefill byte model (CostModel at `elementBytes`) to a predict report: per variant the
  /// compulsory and gathered bytes per bucket and each bucket's arithmetic intensity.
  static func withPrefillBytes(
    _ report: Report, config: LayerConfig, length L: Int, variants: [Variant], elementBytes e: Int
  ) -> Report {
    var rows = [[String]]()
    var members: [(String, JSONValue)] = []
    for variant in variants {
      let ledger = CostModel(config: config.configured(for: variant), variant: variant, elementBytes: e).ledger(length: L)
      members.append((variant.rawValue, bytesWithIntensityJSON(ledger)))
      for bucket in FlopBucket.allCases where ledger.bytes[bucket].compulsory > 0 {
        rows.append(bytesRow(variant.rawValue, bucket.rawValue, ledger.useful[bucket], ledger.bytes[bucket]))
      }
      rows.append(bytesRow(variant.rawValue, "total", ledger.usefulTotal, ledger.bytesTotal))
    }
    var json = report.json
    if case .object(var top) = json {
      top.append(("bytes", ["element_bytes": .int(e), "variants": .object(members)]))
      json = .object(top)
    }
    var text = report.table
    text += "\nBytes (CostModel, \(e == 2 ? "bf16" : "f32") elements; FLOPs per compulsory byte):\n"
    text += TextTable(headers: ["variant", "bucket", "compulsory", "gathered", "FLOPs/byte"], rows: rows).rendered()
    return Report(json: json, table: text, csv: report.csv)
  }

  static func bytesRow(_ variant: String, _ bucket: String, _ counts: FlopCounts, _ bytes: ByteCounts) -> [String] {
    [
      variant, bucket, formatBytes(Double(bytes.compulsory)), bytes.gathered > 0 ? formatBytes(Double(bytes.gathered)) : "",
      formatNumber(Double(counts.flops) / Double(max(1, bytes.compulsory)), digits: 3),
    ]
  }

  /// Per bucket and in total: bytes read, written, gathered and useful FLOPs per compulsory byte.
  static func bytesWithIntensityJSON(_ ledger: FlopLedger) -> JSONValue {
    func entry(_ counts: FlopCounts, _ bytes: ByteCounts) -> JSONValue {
      [
        "read": .int(bytes.read), "written": .int(bytes.written), "gathered": .int(bytes.gathered),
        "useful_flops": .int(counts.flops),
        "flops_per_byte": .number(Double(counts.flops) / Double(max(1, bytes.compulsory))),
      ]
    }
    var members: [(String, JSONValue)] = FlopBucket.allCases.map { ($0.rawValue, entry(ledger.useful[$0], ledger.bytes[$0])) }
    members.append(("total", entry(ledger.usefulTotal, ledger.bytesTotal)))
    return .object(members)
  }

  /// `predict --phase decode`.
  static func decodePredictReport(_ model: DecodeBytesModel, variants: [Variant], dtype: String) -> Report {
    var rows = [[String]]()
    var summary = [[String]]()
    var csvRows = [[String]]()
    var members: [(String, JSONValue)] = []
    for variant in variants {
      guard let entry = model.entry(variant) else { continue }
      let ledger = entry.ledger
      for bucket in FlopBucket.allCases where ledger.bytes[bucket].compulsory > 0 {
        rows.append(bytesRow(variant.rawValue, bucket.rawValue, ledger.useful[bucket], ledger.bytes[bucket]))
        csvRows.append([
          variant.rawValue, bucket.rawValue, String(ledger.bytes[bucket].read), String(ledger.bytes[bucket].written),
          String(ledger.bytes[bucket].gathered), String(ledger.useful[bucket].flops),
        ])
      }
      rows.append(bytesRow(variant.rawValue, "total", ledger.usefulTotal, ledger.bytesTotal))
      let crossover = model.cacheOutweighsWeightsBatch(variant)
      summary.append([
        variant.rawValue, formatBytes(Double(entry.compulsoryBytes)), formatNumber(model.bytesSpeedup(variant), digits: 3) + "×",
        formatNumber(model.flopSpeedup(variant), digits: 3) + "×", formatBytes(Double(entry.weightBytes)),
        formatBytes(Double(entry.cacheBytesPerSequence)), crossover.map(String.init) ?? "n/a",
        formatNumber(model.bytesSpeedupLimit(variant), digits: 3) + "×",
      ])
      members.append(
        (
          variant.rawValue,
          [
            "bytes": bytesWithIntensityJSON(ledger), "bytes_per_step": .int(entry.compulsoryBytes),
            "bytes_speedup_over_dense": .number(model.bytesSpeedup(variant)),
            "flop_speedup_over_dense": .number(model.flopSpeedup(variant)),
            "fixed_bytes": .int(entry.fixedBytes), "bytes_per_sequence": .int(entry.bytesPerSequence),
            "weight_bytes": .int(entry.weightBytes), "cache_bytes_per_sequence": .int(entry.cacheBytesPerSequence),
            "cache_outweighs_weights_from_batch": crossover.map { .int($0) } ?? .null,
            "bytes_speedup_limit_large_batch": .number(model.bytesSpeedupLimit(variant)),
          ]
        ))
    }
    let json: JSONValue = [
      "schema_version": 1,
      "phase": "decode",
      "configuration": LayerOptions.json(model.config),
      "length": .int(model.length), "batch": .int(model.batch), "dtype": .string(dtype),
      "element_bytes": .int(model.elementBytes),
      "k_convention": "k_t = min(k_base, L + 1) for every rule",
      "variants": .object(members),
    ]
    var text = "Decode step of \(LayerOptions.summary(model.config)), L \(model.length), batch \(model.batch), \(dtype)\n\n"
    text += TextTable(
      headers: [
        "variant", "bytes/step", "bytes speedup", "FLOP speedup", "weights", "cache read/seq", "cache > weights from B",
        "speedup B→∞",
      ], rows: summary
    ).rendered()
    text += "\nBytes per bucket (FLOPs per compulsory byte):\n"
    text += TextTable(headers: ["variant", "bucket", "compulsory", "gathered", "FLOPs/byte"], rows: rows).rendered()
    let csv = TextTable(headers: ["variant", "bucket", "read", "written", "gathered", "useful_flops"], rows: csvRows).csv()
    return Report(json: json, table: text, csv: csv)
  }
}
