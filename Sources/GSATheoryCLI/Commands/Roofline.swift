import Foundation
import GSATheory

extension Commands {
  /// `gsa-theory roofline`: this machine's peak float32 FLOP/s and memory bandwidth; with `--save`
  /// or `--machine`, a whole machine profile (docs/machine-profile.md).
  static let roofline = Command(
    name: "roofline",
    abstract: "Measure this machine's peak float32 FLOP/s (FMA) and memory bandwidth (STREAM triad), or its machine profile.",
    discussion: """
      Peak: independent chains of 8-wide float32 fused multiply-adds on every thread (16 FLOPs each).
      Bandwidth: the STREAM triad a = b + s·c over arrays far larger than the caches (12 bytes per element).
      The best repeat is the roof; median, worst and standard deviation show the spread. Build with
      '-c release -Xswiftc -target-cpu -Xswiftc x86-64-v3' for AVX2/FMA code. Sweeps divide their GFLOP/s by this peak.
      --save FILE measures the machine profile the time model reads (FMA peak, triad, the random-row gather
      rate against footprint, top-k cost per candidate, sigmoid and exp throughput, and the kernels' own rates:
      GEMM, cold one-row GEMM, dense and indexer tiles, sparse and dense-decode row costs, read stream, the
      RoPE tables' cos/sin; per thread and for all cores; and a parallel region's latency; about 35 s on 2
      cores, --quick about 12 s) and writes it as JSON (whole or not at all). --machine shows a
      profile: this (measured now, quick probes), h100 or h200 (datasheet specs) or a profile FILE.
      """,
    options: [
      OptionSpec("--repeats", value: "N", default: "5", help: "Repeats of each measurement (1...100)."),
      OptionSpec("--threads", value: "N", default: "all cores", help: "Threads to run on (1...1024)."),
      OptionSpec("--fma-per-thread", value: "N", default: "640000000", help: "Vector FMAs per thread per repeat (>= 12)."),
      OptionSpec("--triad-elements", value: "N", default: "33554432", help: "Floats per triad array (>= 1024; 3 arrays)."),
      OptionSpec("--save", value: "FILE", help: "Measure the machine profile and write it to FILE as JSON (whole or not at all)."),
      OptionSpec("--quick", help: "With --save: the quick probes (3 repeats, 5 gather footprints), as --machine this runs."),
      MachineOption.spec,
    ],
    examples: [
      "gsa-theory roofline", "gsa-theory roofline --repeats 10 --format json", "gsa-theory roofline --save profile.json",
      "gsa-theory roofline --machine h100",
    ]
  ) { invocation in
    let options = invocation.options
    if options.has("--save") || options.has("--machine") { return try machineProfileRun(invocation) }
    if options.flag("--quick") {
      throw UsageError("--quick: applies to a profile measurement; add --save FILE or use --machine this")
    }
    let repeats = try options.int("--repeats", default: 5, in: 1...100)
    let threads = try options.int("--threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1024)
    let fma = try options.int("--fma-per-thread", default: 640_000_000, in: 12...1_000_000_000_000)
    let elements = try options.int("--triad-elements", default: 1 << 25, in: 1024...(1 << 32))
    // Three float32 arrays of max(n, 64·threads) elements (Roofline.streamTriad).
    try MemoryGuard.check(lengths: [max(elements, 64 * threads)], flag: "--triad-elements", what: "the triad", symbol: "n") {
      12 * Double($0)
    }
    invocation.progress.update(0, of: 1, "measuring")
    let measurement = Roofline.measure(threads: threads, repeats: repeats, fmaPerThread: fma, triadElements: elements)
    invocation.progress.update(1, of: 1, "done")
    return CommandResult(report: rooflineReport(measurement, machine: MachineInfo.current))
  }

  static func rooflineJSON(_ m: Roofline.Measurement) -> JSONValue {
    func stats(_ s: Roofline.Statistics, scale: Double) -> JSONValue {
      [
        "best": .number(s.best / scale), "median": .number(s.median / scale), "worst": .number(s.worst / scale),
        "stddev": .number(s.standardDeviation / scale), "repeats": .array(s.values.map { .number($0 / scale) }),
      ]
    }
    return [
      "peak_gflops": .number(m.peakFlopsPerSecond / 1e9),
      "bandwidth_gbytes_per_s": .number(m.peakBytesPerSecond / 1e9),
      "ridge_flops_per_byte": .number(m.ridgeIntensity),
      "threads": .int(m.threads),
      "gflops": stats(m.flopsPerSecond, scale: 1e9),
      "gbytes_per_s": stats(m.bytesPerSecond, scale: 1e9),
      "method": [
        "flops": .string(
          "\(Roofline.chains) independent chains of 8-wide float32 FMA per thread, \(m.fmaPerThread) vector FMAs per thread"),
        "bandwidth": .string("STREAM triad a = b + s*c, \(m.triadElements) floats per array, 12 bytes per element"),
      ],
    ]
  }

  static func rooflineReport(_ m: Roofline.Measurement, machine: MachineInfo) -> Report {
    let json: JSONValue = [
      "schema_version": 1, "machine": machine.json, "roofline": rooflineJSON(m),
    ]
    let g = m.flopsPerSecond
    let b = m.bytesPerSecond
    let table = TextTable(
      headers: ["quantity", "best", "median", "worst", "stddev", "unit"],
      rows: [
        [
          "peak float32", formatNumber(g.best / 1e9), formatNumber(g.median / 1e9), formatNumber(g.worst / 1e9),
          formatNumber(g.standardDeviation / 1e9), "GFLOP/s",
        ],
        [
          "triad bandwidth", formatNumber(b.best / 1e9), formatNumber(b.median / 1e9), formatNumber(b.worst / 1e9),
          formatNumber(b.standardDeviation / 1e9), "GB/s",
        ],
        ["ridge point", formatNumber(m.ridgeIntensity), "", "", "", "FLOP/byte"],
      ])
    let header = "Roofline of \(machine.cpuModel), \(m.threads) thread(s), \(g.values.count) repeat(s)\n"
    return Report(json: json, table: header + table.rendered(), csv: table.csv())
  }
}
