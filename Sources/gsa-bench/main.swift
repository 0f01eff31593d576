// gsa-bench: the performance benchmark; writes docs/performance.md with this machine's numbers.
//
//   swift build -c release -Xswiftc -target-cpu -Xswiftc haswell
//   .build/release/gsa-bench [--output docs/performance.md] [--json docs/data/performance.json] [--quick | --smoke]
//   (or `make bench`, which does both)
//
// (`haswell` = the x86-64-v3 feature set AVX2 + FMA; this toolchain rejects 'x86-64-v3' as a CPU name.)
import Foundation
import GSAModel
import GSATheory

func fail(_ message: String, status: Int32) -> Never {
  FileHandle.standardError.write(Data("error: \(message)\n".utf8))
  exit(status)
}

var outputPath = "docs/performance.md"
var jsonPath: String?
var mode = "full"
var options = PerformanceBenchmark.Options()
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
  switch argument {
  case "--output":
    guard let path = arguments.popFirst(), !path.isEmpty else { fail("--output: needs a file path", status: 2) }
    outputPath = path
  case "--json":
    guard let path = arguments.popFirst(), !path.isEmpty else { fail("--json: needs a file path", status: 2) }
    jsonPath = path
  case "--quick":
    mode = "quick"
    // A fast smoke run (not the published numbers): short lengths.
    options.fitLengths = [256, 512, 1024, 2048]
    options.denseLengths = [1024, 2048]
    options.speedupLength = 2048
    options.k = 64
    options.repeats = 1
  case "--smoke":
    mode = "smoke"
    options.applySmoke()
  case "--help", "-h":
    print(benchUsage)
    exit(0)
  default:
    fail("unknown argument '\(argument)'; \(benchUsage.prefix { $0 != "\n" })", status: 2)
  }
}

let directory = URL(fileURLWithPath: outputPath).deletingLastPathComponent().path
guard FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory) else {
  fail("--output: directory '\(directory)' does not exist; create it first", status: 2)
}

let jsonTarget: String?
do { jsonTarget = try resolvedJSONPath(jsonPath, output: outputPath) } catch { fail(error.message, status: 2) }

let interactive = isatty(STDERR_FILENO) == 1
let result: PerformanceBenchmark.Result
do {
  result = try PerformanceBenchmark.run(options) { label in
    if interactive { FileHandle.standardError.write(Data("\r\(label)\u{1B}[K".utf8)) }
  }
} catch {
  fail("\(error)", status: 1)
}
if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }

// MARK: Analysis

let peak = result.roofline.peakFlopsPerSecond
let cores = result.roofline.threads
func pct(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
func g(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)g", x) }
func ops(_ c: FlopCounts) -> Double { Double(c.flops + c.transcendentals + c.comparisons) }

var md = [String]()
var verdicts = [(String, String, String)]()  // target, measured, verdict
let machine = ProcessInfo.processInfo
let cpu =
  ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "").split(separator: "\n")
  .first { $0.hasPrefix("model name") }.flatMap { $0.split(separator: ":", maxSplits: 1).last }
  .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
let stamp = ISO8601DateFormatter().string(from: Date())

md.append("# Performance on this machine")
md.append("")
md.append("Written by `gsa-bench` (Sources/gsa-bench) on \(stamp). Regenerate with:")
md.append("")
md.append("```")
md.append("make bench   # = the two commands below")
md.append("swift build -c release -Xswiftc -target-cpu -Xswiftc haswell --product gsa-bench   # AVX2 + FMA (x86-64-v3)")
md.append(".build/release/gsa-bench --output docs/performance.md --json docs/data/performance.json")
md.append("```")
md.append("")
md += figureIntroduction(mode: mode)
md.append(
  "Machine: \(cpu), \(cores) cores, \(String(format: "%.1f", Double(machine.physicalMemory) / 1_073_741_824)) GiB. "
    + "Load average before / after: \(result.loadAverageBefore) / \(result.loadAverageAfter) "
    + "(the cores are shared with other jobs; a load above the core count means the timings below include contention).")
md.append("")
md.append("## Roofline (`gsa-theory roofline`)")
md.append("")
md.append("| quantity | best | median | worst | unit |")
md.append("|---|---:|---:|---:|---|")
let rf = result.roofline.flopsPerSecond, rb = result.roofline.bytesPerSecond
md.append(
  "| peak float32 (8-wide FMA, \(Roofline.chains) chains per thread, all cores) | \(g(rf.best / 1e9)) | \(g(rf.median / 1e9)) | \(g(rf.worst / 1e9)) | GFLOP/s |"
)
md.append("| STREAM triad bandwidth | \(g(rb.best / 1e9)) | \(g(rb.median / 1e9)) | \(g(rb.worst / 1e9)) | GB/s |")
md.append("")
md.append(
  "Peak per core: \(g(peak / Double(cores) / 1e9)) GFLOP/s. Percentages below are of the best all-core peak, \(g(peak / 1e9)) GFLOP/s.")
md.append("")
md += figure(.roofline)

// Dense core.
md.append("## Dense causal attention core (`KernelProbe.denseCore`: the flash-style kernel alone, H 8 × d_h 64, H_kv 8, all cores)")
md.append("")
md.append(
  "FLOPs are the kernel's ledger: useful = 4·d_h FLOPs per causal pair and head plus the softmax adds; executed = what the tiles ran (masked entries of diagonal tiles included). Exponentials are counted apart and are not in these FLOPs."
)
md.append("")
md.append("| L | useful FLOPs | executed FLOPs | median s | useful GFLOP/s | % of peak (useful) | % of peak (executed) |")
md.append("|---:|---:|---:|---:|---:|---:|---:|")
for l in options.denseLengths {
  guard let p = result.denseCore[l] else { continue }
  let useful = Double(p.ledger.useful.total.flops)
  let executed = Double(p.ledger.executed.total.flops)
  let t = p.medianSeconds
  md.append(
    "| \(l) | \(g(useful)) | \(g(executed)) | \(g(t)) | \(g(useful / t / 1e9)) | \(pct(useful / t / peak)) | \(pct(executed / t / peak)) |")
  verdicts.append(
    (
      "dense causal attention ≥ 60% of peak at L = \(l)", pct(useful / t / peak) + " useful, " + pct(executed / t / peak) + " executed",
      executed / t / peak >= 0.6 ? "met" : "missed"
    ))
}
md.append("")

// Indexer.
md.append("## GSA lightning indexer (`KernelProbe.indexer`, all cores)")
md.append("")
md.append(
  "Per causal pair and indexer head: 2·d_I + 3 FLOPs and one sigmoid (not a FLOP). 'Scores' is the streaming score kernel alone; '+ top-k' adds each query's radix top-\(options.k) selection (comparisons, not FLOPs)."
)
md.append("")
md.append("| H_I × d_I | L | executed FLOPs | scores s | scores GFLOP/s | % of peak | + top-k s | % of peak with top-k |")
md.append("|---|---:|---:|---:|---:|---:|---:|---:|")
for probe in result.indexers {
  var best = 0.0
  for l in options.denseLengths {
    guard let a = probe.scores[l], let b = probe.withSelection[l] else { continue }
    let flops = Double(a.ledger.executed[.indexer].flops)
    let rate = flops / a.medianSeconds / peak
    best = max(best, rate)
    md.append(
      "| \(probe.indexerHeads) × \(probe.indexerDim) | \(l) | \(g(flops)) | \(g(a.medianSeconds)) | \(g(flops / a.medianSeconds / 1e9)) | \(pct(rate)) | \(g(b.medianSeconds)) | \(pct(Double(b.ledger.executed[.indexer].flops) / b.medianSeconds / peak)) |"
    )
  }
  verdicts.append(
    (
      "GSA indexer (H_I \(probe.indexerHeads) × d_I \(probe.indexerDim)) ≥ 50% of peak", "best " + pct(best) + " (score kernel alone)",
      best >= 0.5 ? "met" : "missed"
    ))
}
md.append("")
md += figure(.kernelRates)

// Speedup.
md.append("## GSA over dense at L = \(options.speedupLength), k = \(options.k) fixed (whole layers, H 8 × d_h 64, D 16: dense A vs gsa B)")
md.append("")
if let a = result.denseLayer.point(options.speedupLength), let b = result.gsa.point(options.speedupLength) {
  let measured = a.medianSeconds / b.medianSeconds
  let predictedFlops = Double(a.counted.usefulTotal.flops) / Double(b.counted.usefulTotal.flops)
  let predictedOps = ops(a.counted.usefulTotal) / ops(b.counted.usefulTotal)
  let deviation = measured / predictedFlops - 1
  md.append("| quantity | dense (A) | gsa (B) | ratio |")
  md.append("|---|---:|---:|---:|")
  md.append("| median time, s | \(g(a.medianSeconds)) | \(g(b.medianSeconds)) | \(g(measured)) (measured speedup) |")
  md.append(
    "| useful FLOPs (CostModel = ledger) | \(g(Double(a.counted.usefulTotal.flops))) | \(g(Double(b.counted.usefulTotal.flops))) | \(g(predictedFlops)) (FLOP-predicted) |"
  )
  md.append(
    "| useful FLOPs + transcendentals + comparisons | \(g(ops(a.counted.usefulTotal))) | \(g(ops(b.counted.usefulTotal))) | \(g(predictedOps)) |"
  )
  md.append("")
  md.append("Measured / FLOP-predicted − 1 = \(pct(deviation)).")
  verdicts.append(
    (
      "GSA-over-dense speedup within 25% of FLOP prediction (L = \(options.speedupLength), k = \(options.k))",
      "measured \(g(measured, 3))×, predicted \(g(predictedFlops, 3))× (\(pct(deviation)))", abs(deviation) <= 0.25 ? "met" : "missed"
    ))
}
md.append("")
md += figure(.speedup)

// Exponents.
md.append(
  "## Fitted exponents of wall time over L = \(options.fitLengths.first ?? 0)–\(options.fitLengths.last ?? 0) (log-log least squares, GSL)")
md.append("")
md.append("| kernel | series | exponent ± SE | R² | target |")
md.append("|---|---|---:|---:|---|")
func fitTimes(_ s: PerformanceBenchmark.Series, minus other: PerformanceBenchmark.Series? = nil, over lengths: [Int]) -> PowerLawFit? {
  var x = [Double](), y = [Double]()
  for l in lengths {
    guard let p = s.point(l) else { continue }
    var t = p.medianSeconds
    if let other { guard let q = other.point(l) else { continue }; t -= q.medianSeconds }
    guard t > 0 else { continue }
    x.append(Double(l))
    y.append(t)
  }
  return try? PowerLawFit.fit(x: x, y: y)
}
func fitProbe(_ timings: [Int: KernelProbe.Timing], over lengths: [Int]) -> PowerLawFit? {
  let ls = lengths.filter { timings[$0] != nil }
  return try? PowerLawFit.fit(x: ls.map(Double.init), y: ls.map { timings[$0]!.medianSeconds })
}
var exponentRows: [(String, String, PowerLawFit?, Double)] = [
  ("dense core", "denseCore probe", fitProbe(result.denseCore, over: options.fitLengths), 2)
]
for probe in result.indexers {
  exponentRows.append(
    ("indexer \(probe.indexerHeads) × \(probe.indexerDim)", "indexer probe (scores)", fitProbe(probe.scores, over: options.fitLengths), 2))
}
exponentRows.append(("indexer + top-k (layer C)", "T_C", fitTimes(result.indexerStage, over: options.fitLengths), 2))
exponentRows.append(("sparse core", "T_B − T_C", fitTimes(result.gsa, minus: result.indexerStage, over: options.fitLengths), 1))
for (name, series, fit, target) in exponentRows {
  guard let fit else {
    md.append("| \(name) | \(series) | n/a (non-positive times) | | \(g(target)) ± 0.05 |")
    verdicts.append(("\(name) exponent \(g(target)) ± 0.05", "n/a", "missed"))
    continue
  }
  md.append(
    "| \(name) | \(series) | \(String(format: "%.3f ± %.3f", fit.exponent, fit.exponentStandardError)) | \(String(format: "%.5f", fit.rSquared)) | \(g(target)) ± 0.05 |"
  )
  verdicts.append(
    (
      "\(name) exponent \(g(target)) ± 0.05", String(format: "%.3f ± %.3f", fit.exponent, fit.exponentStandardError),
      abs(fit.exponent - target) <= 0.05 ? "met" : "missed"
    ))
}
md.append("")
md.append("Counted-FLOP exponents of the same series (the ledger, exact): ")
var countedNotes = [String]()
for (name, s, bucket) in [
  ("indexer (layer C)", result.indexerStage, FlopBucket.indexer), ("sparse attention (layer B)", result.gsa, .attention),
] {
  let pts = options.fitLengths.compactMap { s.point($0) }
  if let fit = try? PowerLawFit.fit(x: pts.map { Double($0.length) }, y: pts.map { Double($0.counted.useful[bucket].flops) }) {
    countedNotes.append("\(name) \(String(format: "%.3f", fit.exponent))")
  }
}
md[md.count - 1] +=
  countedNotes.joined(separator: ", ") + " (below 2 for the quadratic buckets because of their linear terms at these lengths)."
md.append("")
md += figure(.scaling)

md.append("## Targets (issue 3)")
md.append("")
md.append("| target | measured | verdict |")
md.append("|---|---|---|")
for (target, measured, verdict) in verdicts { md.append("| \(target) | \(measured) | \(verdict) |") }
md.append("")
md.append(
  "Per-bucket wall times are not reported by `AttentionLayer.forward`: the dense core and the indexer are timed alone with `KernelProbe`; the sparse core's time is the difference of two whole layers (B − C), so its exponent carries their noise."
)
md.append("")
md.append("## Raw series")
md.append("")
md.append("| series | L | median s | repeats | executed GFLOP/s | peak RSS |")
md.append("|---|---:|---:|---|---:|---:|")
for s in [result.denseLayer, result.gsa, result.indexerStage] {
  for p in s.points {
    md.append(
      "| \(s.name) | \(p.length) | \(g(p.medianSeconds)) | \(p.seconds.map { g($0, 3) }.joined(separator: ", ")) | \(g(p.executedFlopsPerSecond / 1e9)) | \(p.peakResidentBytes.map { String($0 / 1_048_576) + " MiB" } ?? "n/a") |"
    )
  }
}
md.append("")

let text = md.joined(separator: "\n")
let temporary = outputPath + ".tmp-\(getpid())"
do {
  try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
  guard rename(temporary, outputPath) == 0 else { throw CocoaError(.fileWriteUnknown) }
} catch {
  unlink(temporary)
  fail("cannot write '\(outputPath)': \(error.localizedDescription)", status: 1)
}
if let jsonTarget {
  do {
    try PerformanceJSON.document(result, verdicts: verdicts, mode: mode, timestamp: stamp).write(to: jsonTarget)
  } catch { fail("cannot write '\(jsonTarget)': \(error.localizedDescription)", status: 1) }
  print("wrote \(jsonTarget)")
}
for (target, measured, verdict) in verdicts { print("\(verdict.uppercased()): \(target): \(measured)") }
print("wrote \(outputPath)")
