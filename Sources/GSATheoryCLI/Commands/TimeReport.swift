import Foundation
import GSAModel
import GSATheory

extension Commands {
  /// `{projections, gates, indexer, selection, attention, total}` in seconds.
  static func bucketSecondsJSON(_ s: BucketSeconds) -> JSONValue {
    .object(FlopBucket.allCases.map { ($0.rawValue, JSONValue.number(s[$0])) } + [("total", .number(s.total))])
  }

  /// A `TimeModel` prediction: seconds per bucket and in total, each bucket's terms and limit.
  static func predictedSecondsJSON(_ p: TimeModel.Prediction) -> JSONValue {
    var members: [(String, JSONValue)] = FlopBucket.allCases.map { bucket in
      let b = p.buckets[bucket] ?? TimeModel.BucketPrediction()
      return (
        bucket.rawValue,
        [
          "seconds": .number(b.seconds), "limit": .string(b.limit), "flop_seconds": .number(b.flopSeconds),
          "transcendental_seconds": .number(b.transcendentalSeconds), "top_k_seconds": .number(b.topKSeconds),
          "kernel_seconds": .number(b.kernelSeconds), "stream_seconds": .number(b.streamSeconds),
          "gather_seconds": .number(b.gatherSeconds), "region_seconds": .number(b.regionSeconds),
        ]
      )
    }
    members.append(("total", .number(p.total)))
    let weight = p.gatherFootprints.reduce(0) { $0 + $1.weight }
    members.append(
      ("mean_gather_footprint_bytes", .number(p.gatherFootprints.reduce(0) { $0 + $1.bytes * $1.weight } / max(weight, 1e-300))))
    members.append(("unpriced", .array(p.unpriced.map { .string($0) })))
    return .object(members)
  }

  /// A measured profile for `sweep --machine`: spec (GPU) profiles cannot predict this CPU's times.
  static func sweepTimeModel(_ options: ParsedOptions, progress: Progress) throws -> (TimeModel, MachineProfile)? {
    guard let profile = try MachineOption.profile(options, progress: progress) else { return nil }
    guard profile.measured != nil else {
      throw UsageError(
        "--machine: '\(profile.machine.name)' is a GPU spec profile; sweep measures this CPU, so give a measured profile ('roofline --save FILE') or this"
      )
    }
    return (TimeModel(profile: profile), profile)
  }

  /// Rows of measured (and, with a model, predicted) seconds per bucket, for the sweeps' text table.
  static func bucketTimeRows(
    label: [String], measured: BucketSeconds, predicted: TimeModel.Prediction?
  ) -> [String] {
    var row = label
    for bucket in FlopBucket.allCases {
      let m = formatNumber(measured[bucket] * 1e3, digits: 3)
      if let p = predicted?.buckets[bucket]?.seconds {
        row.append(m + " / " + formatNumber(p * 1e3, digits: 3))
      } else {
        row.append(m)
      }
    }
    let total = formatNumber(measured.total * 1e3, digits: 4)
    row.append(predicted.map { total + " / " + formatNumber($0.total * 1e3, digits: 4) } ?? total)
    if let predicted { row.append(String(format: "%+.0f%%", 100 * (measured.total / predicted.total - 1))) }
    return row
  }

  static func bucketTimeTable(label: [String], rows: [[String]], predicted: Bool) -> String {
    let headers = label + FlopBucket.allCases.map(\.rawValue) + ["total"] + (predicted ? ["measured vs predicted"] : [])
    let title =
      predicted
      ? "\nMilliseconds per bucket, measured / predicted (TimeModel at the profile's rates; each bucket's median):\n"
      : "\nMilliseconds per bucket (each bucket's median over the timed repeats):\n"
    return title + TextTable(headers: headers, rows: rows).rendered()
  }
}
