import Foundation
import GSATheory

extension Commands {
  /// `roofline --save FILE` / `roofline --machine NAME`: measures or loads a machine profile,
  /// writes it to FILE if asked (whole or not at all), and reports it.
  static func machineProfileRun(_ invocation: Invocation) throws -> CommandResult {
    let options = invocation.options
    let save = options.string("--save")
    if let save {
      try OutputPath.validate(save, flag: "--save")
      for flag in ["--output", "--json"] {
        if let other = options.string(flag), OutputPath.same(save, other) {
          throw UsageError("--save: '\(save)' is also the \(flag) file; give the profile its own file")
        }
      }
    }
    let machine = options.string("--machine")?.trimmingCharacters(in: .whitespaces)
    let profile: MachineProfile
    if machine == nil || machine == "this" {
      let threads = try options.int("--threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1024)
      var settings: MachineProfile.MeasurementSettings =
        options.flag("--quick") || machine == "this" ? .quick(threads: threads) : .full(threads: threads)
      settings.repeats = try options.int("--repeats", default: settings.repeats, in: 1...100)
      settings.fmaPerThread = try options.int("--fma-per-thread", default: settings.fmaPerThread, in: 12...1_000_000_000_000)
      settings.triadElements = try options.int("--triad-elements", default: settings.triadElements, in: 1024...(1 << 32))
      try MemoryGuard.check(
        lengths: [max(settings.triadElements, 64 * threads)], flag: "--triad-elements", what: "the triad", symbol: "n"
      ) { 12 * Double($0) }
      profile = try MachineOption.measureThis(settings, flag: save == nil ? "--machine" : "--save", progress: invocation.progress)
    } else {
      for flag in ["--repeats", "--threads", "--fma-per-thread", "--triad-elements", "--quick"] where options.has(flag) {
        throw UsageError(
          "\(flag): applies only when measuring; --machine \(machine!) loads a profile (use --machine this, or drop \(flag))")
      }
      profile = try MachineOption.resolve(machine!, progress: invocation.progress)
    }
    if let save { try writeAtomically(profile.encodedJSON(), to: save, flag: "--save") }
    return CommandResult(report: machineProfileReport(profile, savedTo: save))
  }

  /// A profile as a report: its JSON is the profile file's, its table one row per rate.
  static func machineProfileReport(_ profile: MachineProfile, savedTo path: String?) -> Report {
    let table: TextTable
    var header: String
    switch profile.rates {
    case .measured(let m):
      func row(_ name: String, _ rate: MachineProfile.ThreadedRate, scale: Double, _ unit: String) -> [String] {
        [name, formatNumber(rate.perThread * scale), formatNumber(rate.allCores * scale), unit]
      }
      var rows = [
        row("FMA peak (float32)", m.fmaFlopsPerSecond, scale: 1e-9, "GFLOP/s"),
        row("STREAM triad", m.triadBytesPerSecond, scale: 1e-9, "GB/s"),
      ]
      for point in m.gatherCurve {
        rows.append(row("gather, footprint \(describeBytes(point.footprintBytes))", point.bytesPerSecond, scale: 1e-9, "GB/s"))
      }
      rows += [
        row("top-k (n \(m.topKCandidates), k \(m.topKBudget))", m.topKSecondsPerCandidate, scale: 1e9, "ns/candidate"),
        row("sigmoid", m.sigmoidsPerSecond, scale: 1e-9, "G/s"),
        row("exp", m.expsPerSecond, scale: 1e-9, "G/s"),
      ]
      let k = m.kernels
      rows += [
        row("GEMM \(k.gemmRows)×\(k.gemmInner) by \(k.gemmInner)×\(k.gemmCols)", k.gemmFlopsPerSecond, scale: 1e-9, "GFLOP/s"),
        row(
          "dense flash tile (L \(k.denseLength), \(k.denseHeads) heads, d_h \(k.denseHeadDim))", k.denseFlopsPerSecond, scale: 1e-9,
          "GFLOP/s"),
        row(
          "indexer score tile (L \(k.indexerLength), \(k.indexerHeads)×\(k.indexerDim))", k.indexerFlopsPerSecond, scale: 1e-9,
          "GFLOP/s"),
      ]
      for point in k.sparseRowCurve {
        for (g, cost) in zip(k.sparseGroupSizes, point.secondsPerRow) {
          rows.append(row("sparse core row, G \(g), footprint \(describeBytes(point.footprintBytes))", cost, scale: 1e9, "ns/row"))
        }
      }
      for point in k.decodeRowCurve {
        rows.append(
          row(
            "dense decode row, G \(k.decodeGroupSize) d_h \(k.decodeHeadDim), cache \(describeBytes(point.footprintBytes))",
            point.secondsPerRow, scale: 1e9, "ns/row"))
      }
      rows.append(row("GEMV 1×\(k.gemvInner) by \(k.gemvInner)×\(k.gemvCols), weights", k.gemvWeightBytesPerSecond, scale: 1e-9, "GB/s"))
      rows.append(row("read-only stream", k.readBytesPerSecond, scale: 1e-9, "GB/s"))
      rows.append(
        row(
          "RoPE tables (L \(k.ropeLength), d_h \(k.ropeHeadDim)), cos/sin/pow", k.ropeTranscendentalsPerSecond, scale: 1e-6, "M/s"))
      rows.append(
        [
          "parallel region after \(k.parallelRegionIdleMicroseconds) µs idle", "-", formatNumber(k.parallelRegionSeconds * 1e6), "µs",
        ])
      table = TextTable(headers: ["quantity", "1 thread", "\(m.threads) threads", "unit"], rows: rows)
      header =
        "Machine profile '\(profile.machine.name)' (\(profile.machine.model)), measured \(profile.date); "
        + "gathers of \(m.gatherRowBytes)-byte rows\n"
    case .spec(let s):
      let figures: [(String, MachineProfile.SpecValue, Double, String)] = [
        ("peak dense bf16", s.peakDenseBF16FlopsPerSecond, 1e-12, "TFLOP/s"),
        ("peak fp32", s.peakFP32FlopsPerSecond, 1e-12, "TFLOP/s"),
        ("HBM bandwidth", s.hbmBytesPerSecond, 1e-12, "TB/s"),
        ("L2 cache", s.l2Bytes, 1.0 / 1_048_576, "MiB"),
        ("SMs", s.smCount, 1, ""),
      ]
      table = TextTable(
        headers: ["quantity", "value", "unit", "label", "source"],
        rows: figures.map { [$0.0, formatNumber($0.1.value * $0.2), $0.3, MachineProfile.SpecValue.label, $0.1.source] })
      header = "Machine profile '\(profile.machine.name)' (\(profile.machine.model)): datasheet figures, compiled \(profile.date)\n"
    }
    let footer = path.map { "Saved to \($0) (schema_version \(MachineProfile.schemaVersion)).\n" } ?? ""
    return Report(json: profile.json, table: header + table.rendered() + footer, csv: table.csv())
  }

  /// "16 KiB", "4 MiB", "1.5 GiB".
  static func describeBytes(_ bytes: Int) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes), unit = 0
    while value >= 1024, unit + 1 < units.count {
      value /= 1024
      unit += 1
    }
    return "\(formatNumber(value, digits: 3)) \(units[unit])"
  }
}
