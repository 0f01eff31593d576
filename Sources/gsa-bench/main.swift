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

// Repeats reuse freed buffers instead of timing the kernel's page zeroing (`MemoryPolicy`).
MemoryPolicy.keepFreedMemory()
var outputPath = "docs/performance.md"
var jsonPath: String?
var mode = "full"
var sideBySidePath: String? = "docs/data/side-by-side.json"
var options = PerformanceBenchmark.Options()
var only: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
  switch argument {
  case "--output":
    guard let path = arguments.popFirst(), !path.isEmpty else { fail("--output: needs a file path", status: 2) }
    outputPath = path
  case "--json":
    guard let path = arguments.popFirst(), !path.isEmpty else { fail("--json: needs a file path", status: 2) }
    jsonPath = path
  case "--side-by-side":
    guard let path = arguments.popFirst(), !path.isEmpty else {
      fail("--side-by-side: needs a file path (or 'none')", status: 2)
    }
    sideBySidePath = path == "none" ? nil : path
  case "--quick":
    mode = "quick"
    // A fast smoke run (not the published numbers): short lengths.
    options.fitLengths = [256, 512, 1024, 2048]
    options.denseLengths = [1024, 2048]
    options.speedupLength = 2048
    options.k = 64
    options.repeats = 1
    options.sparseAsymptoticLengths = [2048, 4096, 8192]
  case "--smoke":
    mode = "smoke"
    options.applySmoke()
  case "--only":
    guard let section = arguments.popFirst(), section == "time-model" else {
      fail("--only: the one section that runs alone is 'time-model'", status: 2)
    }
    only = section
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

let sideBySide: SideBySideReport?
do { sideBySide = try sideBySidePath.flatMap { path throws(BenchUsageError) in try SideBySideReport.load(path) } } catch {
  fail(error.message, status: 2)
}

let jsonTarget: String?
do { jsonTarget = try resolvedJSONPath(jsonPath, output: outputPath) } catch { fail(error.message, status: 2) }

if let warning = KernelBuild.genericBuildWarning { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
let interactive = isatty(STDERR_FILENO) == 1
if only == "time-model" {
  runTimeModelOnly(options: options, mode: mode, output: outputPath, json: jsonPath, interactive: interactive)
  exit(0)
}
let result: PerformanceBenchmark.Result
do {
  result = try PerformanceBenchmark.run(options) { label in
    if interactive { FileHandle.standardError.write(Data("\r\(label)\u{1B}[K".utf8)) }
  }
} catch {
  fail("\(error)", status: 1)
}
let decodeResult: DecodeBenchmark.Result
do {
  decodeResult = try DecodeBenchmark.run(decodeOptions(mode: mode)) { label in
    if interactive { FileHandle.standardError.write(Data("\r\(label)\u{1B}[K".utf8)) }
  }
} catch {
  fail("\(error)", status: 1)
}
if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }

// Time model (issue 21; TimeModelSection.swift): its own profile, sweeps and predictions.
let timeModel: TimeModelValidation.Result
do {
  timeModel = try TimeModelValidation.run(timeModelOptions(mode: mode), speedupPairs: timeModelSpeedupPairs(result)) { label in
    if interactive { FileHandle.standardError.write(Data("\r\(label)\u{1B}[K".utf8)) }
  }
} catch {
  fail("time model: \(error)", status: 1)
}
if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }

// MARK: Analysis

let peak = result.roofline.peakFlopsPerSecond
let cores = result.roofline.threads
func pct(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
func g(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)g", x) }

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
md.append("Written by `gsa-bench` (Sources/gsa-bench) on \(stamp).")
md.append("")
// The summary, filled in at the end from every part's results.
let summaryLine = md.count
md.append("Regenerate with:")
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
    + "(a load above the core count means the timings below include contention; the VM's host, its L3 and memory bandwidth are shared with other tenants, so runs differ by ±10–20%: compare best repeats)."
)
md.append("")
// The run-quality line, filled in once the exponent fits are known (see the end).
var disturbances = PerformanceBenchmark.disturbances(of: result)
let runQualityLine = md.count
md.append("")
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
let hostRates = result.hostSpeed.map(\.flopsPerSecond).filter(\.isFinite).sorted()
if let slowest = hostRates.first, let fastest = hostRates.last {
  md.append(
    "Host speed during the probes: a short FMA probe (\(g(Double(options.hostProbeFmaPerThread))) FMAs per thread) after each of the \(hostRates.count) round-robin rounds measured \(g(slowest / 1e9))–\(g(fastest / 1e9)) GFLOP/s, median \(g(hostRates[hostRates.count / 2] / 1e9)) (\(g(100 * slowest / peak))–\(g(100 * fastest / peak))% of the peak above; a round below \(PerformanceBenchmark.hostSpeedFloorPercent)% marks the run disturbed, one more than \(PerformanceBenchmark.hostProbeAbovePeakPercent)% above it marks the peak under-measured)."
  )
  md.append("")
}
md += figure(.roofline)

// Dense core.
md.append("## Dense causal attention core (`KernelProbe.denseCore`: the flash-style kernel alone, H 8 × d_h 64, H_kv 8, all cores)")
md.append("")
md.append(
  "FLOPs are the kernel's ledger: useful = 4·d_h FLOPs per causal pair and head plus the softmax adds; executed = what the tiles ran (masked entries of diagonal tiles included). Exponentials are counted apart and are not in these FLOPs."
)
md.append("")
md.append("| L | useful FLOPs | executed FLOPs | best s | median s | useful GFLOP/s (best) | % of peak (useful) | % of peak (executed) |")
md.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
for l in options.denseLengths {
  guard let p = result.denseCore[l] else { continue }
  let useful = Double(p.ledger.useful.total.flops)
  let executed = Double(p.ledger.executed.total.flops)
  let t = p.bestSeconds
  md.append(
    "| \(l) | \(g(useful)) | \(g(executed)) | \(g(t)) | \(g(p.medianSeconds)) | \(g(useful / t / 1e9)) | \(pct(useful / t / peak)) | \(pct(executed / t / peak)) |"
  )
  verdicts.append(
    (
      "dense causal attention ≥ 60% of peak at L = \(l)",
      pct(useful / t / peak) + " useful, " + pct(executed / t / peak) + " executed (best of \(p.seconds.count))",
      PerformanceBenchmark.peakFractionVerdict(fraction: executed / t / peak, target: 0.6, seconds: p.seconds)
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
md.append("| H_I × d_I | L | executed FLOPs | scores s (best) | scores GFLOP/s | % of peak | + top-k s (best) | % of peak with top-k |")
md.append("|---|---:|---:|---:|---:|---:|---:|---:|")
for probe in result.indexers {
  var best = 0.0
  var bestRepeats = [Double]()
  for l in options.denseLengths {
    guard let a = probe.scores[l], let b = probe.withSelection[l] else { continue }
    let flops = Double(a.ledger.executed[.indexer].flops)
    let rate = flops / a.bestSeconds / peak
    if rate > best { (best, bestRepeats) = (rate, a.seconds) }
    md.append(
      "| \(probe.indexerHeads) × \(probe.indexerDim) | \(l) | \(g(flops)) | \(g(a.bestSeconds)) | \(g(flops / a.bestSeconds / 1e9)) | \(pct(rate)) | \(g(b.bestSeconds)) | \(pct(Double(b.ledger.executed[.indexer].flops) / b.bestSeconds / peak)) |"
    )
  }
  verdicts.append(
    (
      "GSA indexer (H_I \(probe.indexerHeads) × d_I \(probe.indexerDim)) ≥ 50% of peak", "best " + pct(best) + " (score kernel alone)",
      PerformanceBenchmark.peakFractionVerdict(fraction: best, target: 0.5, seconds: bestRepeats)
    ))
}
md.append("")
md += figure(.kernelRates)

// Sparse core.
let bound = PerformanceBenchmark.RooflineBound(result.roofline)
md.append("## Sparse attention core alone (`KernelProbe.sparseCore`, H 8 × d_h 64, k = \(options.k), random causal selections, all cores)")
md.append("")
md.append(
  "Each query gathers its k selected key and value rows: Σ_t k_t · H_kv · d_h · 4 B · 2 of scattered reads, against 4·d_h FLOPs per selected pair and head, so the arithmetic intensity of the gathers is 4·H/H_kv ÷ 8 FLOP/B (0.5 at H_kv = 8, 2 at H_kv = 2) against this machine's ridge of \(g(result.roofline.ridgeIntensity, 3)) FLOP/B (peak FLOP/s ÷ triad bandwidth)\(result.roofline.ridgeIntensity > 2 ? ": the kernel is bound by the gathers, not by FLOPs" : ""). The kernel works on head-major copies of K and V, one kv group at a time, so the rows one group gathers (2·L·d_h·4 B: 16 MiB at L = 32768) can stay in the \(CacheHierarchy.detect().l3.map(mib) ?? "shared") L3 and only the compulsory traffic (K and V once) must come from DRAM. 'DRAM time' is gathered bytes / the triad bandwidth, what the gathers would take if every row came from DRAM: best / DRAM time < 1 means the caches served them. 'Effective GB/s' is gathered bytes / the best time."
)
md.append("")
md.append("| H_kv | L | useful FLOPs | gathered bytes | best s | median s | GFLOP/s | effective GB/s | DRAM time s | best / DRAM time |")
md.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for probe in result.sparseCores {
  for l in options.fitLengths + (options.fitLengths.contains(options.speedupLength) ? [] : [options.speedupLength]) {
    guard let p = probe.timings[l] else { continue }
    let flops = Double(p.ledger.useful.total.flops)
    let bytes = TrafficModel.gatherBytes(length: l, k: options.k, kvHeads: probe.kvHeads, headDim: PerformanceBenchmark.probeHeadDim)
    let floor = bytes / bound.bytesPerSecond
    md.append(
      "| \(probe.kvHeads) | \(l) | \(g(flops)) | \(g(bytes)) | \(g(p.bestSeconds)) | \(g(p.medianSeconds)) | \(g(flops / p.bestSeconds / 1e9)) | \(g(bytes / p.bestSeconds / 1e9)) | \(g(floor)) | \(g(p.bestSeconds / floor, 3)) |"
    )
  }
}
md.append("")
// The gathers alone, uniform over the same footprint (the sparse core's selections are causal:
// early keys are picked more often, so it can read faster than this).
md.append(
  "Random-gather bandwidth (`KernelProbe.gatherBandwidth`): both workers read uniformly random 256-byte rows of one kv group's K and V (2·L rows of d_h = \(PerformanceBenchmark.probeHeadDim) floats, the footprint one group of the sparse core gathers from), 8 rows in flight each, with no arithmetic. Where it falls towards the triad bandwidth the footprint no longer fits this VM's share of the L3, and the sparse core's time per pair grows with L (its exponent above 1)."
)
md.append("")
md.append("| L | footprint, MiB | random gathers, best GB/s | median GB/s | sparse core H_kv 8, effective GB/s |")
md.append("|---:|---:|---:|---:|---:|")
for l in options.fitLengths {
  guard let rates = result.gatherBandwidth[l], !rates.isEmpty else { continue }
  let sorted = rates.sorted()
  let footprint = Double(2 * l * PerformanceBenchmark.probeHeadDim * 4)
  let effective =
    result.sparseCores.first { $0.kvHeads == 8 }?.effectiveGatherBytesPerSecond(length: l, k: options.k)
    .map { g($0 / 1e9) } ?? "–"
  md.append(
    "| \(l) | \(g(footprint / 1_048_576)) | \(g(sorted.last! / 1e9)) | \(g(sorted[sorted.count / 2] / 1e9)) | \(effective) |")
}
md.append("")

/// The speedup target's "measured" cell.
func speedupMeasuredText(_ s: PerformanceBenchmark.SpeedupSummary) -> String {
  "measured \(g(s.measured, 3))×, predicted \(g(s.flopPredicted, 3))× (\(pct(s.deviation))); roofline bound \(g(s.rooflineBound, 3))×"
    + (s.partLimitBound.map { "; part limit \(g($0, 3))×" } ?? "")
}

/// The table of a dense layer `a` against a gsa layer `b` at the speedup length (`prime`: "" for A
/// and B, "′" for A′ and B′); `bounds` adds the operation-count and roofline rows.
func speedupTable(
  dense a: SweepPoint, gsa b: SweepPoint, _ s: PerformanceBenchmark.SpeedupSummary, prime: String, bounds: Bool
) -> [String] {
  var rows = [
    "| quantity | dense (A\(prime)) | gsa (B\(prime)) | ratio |",
    "|---|---:|---:|---:|",
    "| best time, s | \(g(a.bestSeconds)) | \(g(b.bestSeconds)) | \(g(s.measured)) (measured speedup) |",
    "| median time, s | \(g(a.medianSeconds)) | \(g(b.medianSeconds)) | \(g(a.medianSeconds / b.medianSeconds)) |",
    "| useful FLOPs (CostModel = ledger) | \(g(Double(a.counted.usefulTotal.flops))) | \(g(Double(b.counted.usefulTotal.flops))) | \(g(s.flopPredicted)) (FLOP-predicted) |",
  ]
  if bounds {
    rows.append(
      "| useful FLOPs + transcendentals + comparisons | \(g(SweepAnalysis.operations(a.counted.usefulTotal))) | \(g(SweepAnalysis.operations(b.counted.usefulTotal))) | \(g(s.operationPredicted)) |"
    )
    rows.append(
      "| roofline lower bound on time, s | \(g(s.denseBoundSeconds)) | \(g(s.gsaBoundSeconds)) | \(g(s.rooflineBound)) (roofline-bounded speedup) |"
    )
  }
  if let limit = s.gsaPartLimitSeconds, let limitSpeedup = s.partLimitBound {
    rows.append(
      "| B\(prime)'s parts at this machine's limits, s | \(g(a.bestSeconds)) (measured) | \(g(limit)) | \(g(limitSpeedup)) (part-limit speedup) |"
    )
  }
  rows.append(
    "| time for the band's lower edge, s | \(g(a.bestSeconds)) (measured) | \(g(s.bandEdgeSeconds)) | \(g((1 - PerformanceBenchmark.speedupTolerance) * s.flopPredicted)) |"
  )
  return rows
}

// Speedup.
md.append("## GSA over dense at L = \(options.speedupLength), k = \(options.k) fixed (whole layers, H 8 × d_h 64, D 16: dense A vs gsa B)")
md.append("")
if let a = result.denseLayer.point(options.speedupLength), let b = result.gsa.point(options.speedupLength),
  let speedup = result.speedup
{
  md += speedupTable(dense: a, gsa: b, speedup, prime: "", bounds: true)
  let L0 = options.speedupLength
  let boundSpeedup = speedup.rooflineBound
  md.append("")
  md.append("Measured / FLOP-predicted − 1 = \(pct(speedup.deviation)) (best times).")
  md.append("")
  // Where B's time goes: the probes of its parts at L0 (same shapes: indexer H_I × d_I of the
  // options, k fixed, sparse core H 8 × d_h 64 over H_kv 8).
  let indexerProbe = result.indexers.first { $0.indexerHeads == options.indexerHeads && $0.indexerDim == options.indexerDim }
  let sparseProbe = result.sparseCores.first { $0.kvHeads == 8 }
  if let scores = indexerProbe?.scores[L0]?.bestSeconds, let selected = indexerProbe?.withSelection[L0]?.bestSeconds,
    let sparse = sparseProbe?.timings[L0]?.bestSeconds
  {
    let useful = b.counted.useful
    let total = Double(b.counted.usefulTotal.flops)
    let share = { (flops: Int) in pct(Double(flops) / total) }
    let topK = selected - scores
    md.append(
      "**Where gsa's time goes.** The kernels of layer B, each timed alone at L = \(L0) (best repeats): the indexer's scores \(g(scores, 3)) s (\(share(useful[.indexer].flops)) of B's useful FLOPs, at \(g(Double(useful[.indexer].flops) / scores / result.roofline.peakFlopsPerSecond * 100, 3))% of peak: its sigmoids are not FLOPs), the top-\(options.k) selection \(g(topK, 3)) s (0 FLOPs: \(g(Double(useful[.selection].comparisons))) comparisons), the sparse core \(g(sparse, 3)) s (\(share(useful[.attention].flops)) of the FLOPs, at \(g(Double(useful[.attention].flops) / sparse / result.roofline.peakFlopsPerSecond * 100, 3))% of peak: it gathers \(g(TrafficModel.gatherBytes(length: L0, k: options.k, kvHeads: result.gsa.config.kvHeads, headDim: result.gsa.config.headDim))) B of scattered rows), together \(g(scores + topK + sparse, 3)) s of B's \(g(b.bestSeconds, 3)) s. The FLOP ratio prices only the FLOPs; the selection, the sigmoids and the gathers have none, so the measured speedup falls short of it even though the roofline bound (\(g(boundSpeedup, 3))×) does not: the gap is the top-k, the sigmoid-bound 2 × 16 indexer and the gather-bound sparse core."
    )
  }
  if let part = speedup.partLimit {
    let limit = part.seconds
    let conclusion =
      limit <= speedup.bandEdgeSeconds
      ? "So the band is reachable only if every part runs at its limit at once: \(pct(1 - limit / speedup.bandEdgeSeconds)) of the band's time is left for the top-k, the sigmoids and any gather slower than the fastest measured."
      : disturbances.isEmpty
        ? "So the band is out of reach on this machine even with every part at its limit at once."
        : "So in this run the band is out of reach even with every part at its limit at once; but the run was disturbed, and a slowed gather rate lowers this limit, so rerun on a quiet machine before reading it as a property of the machine."
    md.append("")
    md.append(
      "**The part limit.** The band needs B ≤ \(g(speedup.bandEdgeSeconds, 3)) s against A's measured \(g(a.bestSeconds, 3)) s (a faster dense kernel would only lower the speedup). For a sparse core that reads every selected key's K and V rows once per query, as this one does, B cannot take less than its FLOPs outside the attention core at peak (\(g(part.outsideCoreFlopSeconds, 3)) s, the sigmoids free) plus its \(g(part.gatheredBytes)) gathered bytes at the fastest rate this run saw rows gathered, by the random-gather probe at any footprint or by the sparse core itself (\(g(part.gatherBytesPerSecond / 1e9, 3)) GB/s: \(g(part.gatherSeconds, 3)) s; the core's FLOPs at peak take \(g(part.coreFlopSeconds, 3)) s), with the top-k free: \(g(limit, 3)) s, a speedup of at most \(g(speedup.partLimitBound ?? .nan, 3))×. \(conclusion)"
    )
  }
  verdicts.append(
    (
      "GSA-over-dense speedup within 25% of FLOP prediction (L = \(L0), k = \(options.k), H_kv \(result.gsa.config.kvHeads))",
      speedupMeasuredText(speedup), PerformanceBenchmark.speedupVerdict(speedup, disturbed: !disturbances.isEmpty)
    ))
  if let kvHeads = options.groupedKvHeads, let a2 = result.groupedDenseLayer?.point(L0), let b2 = result.groupedGsa?.point(L0),
    let grouped = result.groupedSpeedup
  {
    let sharing = PerformanceBenchmark.probeHeads / kvHeads
    md.append("")
    md.append(
      "**At the paper's head grouping, H_kv = \(kvHeads) (H/H_kv = \(sharing); layers A′ and B′, otherwise as A and B).** The \(sharing) heads of a kv group share every gathered row, so B′'s sparse core gathers 1/\(sharing) of B's bytes (\(g(TrafficModel.gatherBytes(length: L0, k: options.k, kvHeads: kvHeads, headDim: PerformanceBenchmark.probeHeadDim)))) for the same pairs and FLOPs; A′'s dense core does A's FLOPs on \(sharing)× fewer K/V rows."
    )
    md.append("")
    md += speedupTable(dense: a2, gsa: b2, grouped, prime: "′", bounds: false)
    md.append("")
    var sentence = "Measured / FLOP-predicted − 1 = \(pct(grouped.deviation)) (best times)."
    if let sparse = result.sparseCores.first(where: { $0.kvHeads == kvHeads })?.timings[L0]?.bestSeconds,
      let sparseB = result.sparseCores.first(where: { $0.kvHeads == result.gsa.config.kvHeads })?.timings[L0]?.bestSeconds
    {
      sentence +=
        " The sparse core alone took \(g(sparse, 3)) s at H_kv \(kvHeads) against \(g(sparseB, 3)) s at H_kv \(result.gsa.config.kvHeads); the indexer and the top-k are the same as in B."
    }
    md.append(sentence)
    verdicts.append(
      (
        "GSA-over-dense speedup within 25% of FLOP prediction (L = \(L0), k = \(options.k), H_kv \(kvHeads))",
        speedupMeasuredText(grouped), PerformanceBenchmark.speedupVerdict(grouped, disturbed: !disturbances.isEmpty)
      ))
  }
}
md.append("")
md += figure(.speedup)

// Exponents.
md.append(
  "## Fitted exponents of best wall time over L = \(options.fitLengths.first ?? 0)–\(options.fitLengths.last ?? 0) (log-log least squares, GSL)"
)
md.append("")
md.append("| kernel | series | exponent ± SE | R² | target |")
md.append("|---|---|---:|---:|---|")
func fitTimes(_ s: PerformanceBenchmark.Series, minus other: PerformanceBenchmark.Series? = nil, over lengths: [Int]) -> PowerLawFit? {
  var x = [Double](), y = [Double]()
  for l in lengths {
    guard let p = s.point(l) else { continue }
    var t = p.bestSeconds
    if let other { guard let q = other.point(l) else { continue }; t -= q.bestSeconds }
    guard t > 0 else { continue }
    x.append(Double(l))
    y.append(t)
  }
  return try? PowerLawFit.fit(x: x, y: y)
}
func fitProbe(_ timings: [Int: KernelProbe.Timing], over lengths: [Int]) -> PowerLawFit? {
  let ls = lengths.filter { timings[$0] != nil }
  return try? PowerLawFit.fit(x: ls.map(Double.init), y: ls.map { timings[$0]!.bestSeconds })
}
// (kernel, series, fit, target exponent; nil = informational, no target)
var exponentRows: [(String, String, PowerLawFit?, Double?)] = [
  ("dense core", "denseCore probe", fitProbe(result.denseCore, over: options.fitLengths), 2)
]
for probe in result.indexers {
  exponentRows.append(
    ("indexer \(probe.indexerHeads) × \(probe.indexerDim)", "indexer probe (scores)", fitProbe(probe.scores, over: options.fitLengths), 2))
}
for probe in result.sparseCores {
  exponentRows.append(
    (
      "sparse core (H_kv \(probe.kvHeads))", "sparseCore probe", fitProbe(probe.timings, over: options.fitLengths), 1
    ))
}
if let first = options.sparseAsymptoticLengths.first, let last = options.sparseAsymptoticLengths.last {
  exponentRows.append(
    (
      "sparse core (H_kv 8), long L", "sparseCore probe, L = \(first)–\(last), 1 repeat",
      fitProbe(result.sparseAsymptotic, over: options.sparseAsymptoticLengths), nil
    ))
}
exponentRows.append(
  ("indexer + top-k (layer C)", "T_C (includes linear parts)", fitTimes(result.indexerStage, over: options.fitLengths), nil))
exponentRows.append(
  ("sparse core, cross-check", "T_B − T_C", fitTimes(result.gsa, minus: result.indexerStage, over: options.fitLengths), nil))
for (name, series, fit, target) in exponentRows {
  let targetText = target.map { "\(g($0)) ± 0.05" } ?? "— (informational)"
  guard let fit else {
    md.append("| \(name) | \(series) | n/a (non-positive times) | | \(targetText) |")
    if let target { verdicts.append(("\(name) exponent \(g(target)) ± 0.05", "n/a", "missed")) }
    continue
  }
  md.append(
    "| \(name) | \(series) | \(String(format: "%.3f ± %.3f", fit.exponent, fit.exponentStandardError)) | \(String(format: "%.5f", fit.rSquared)) | \(targetText) |"
  )
  guard let target else { continue }
  if let sign = PerformanceBenchmark.exponentFitDisturbance(name: name, standardError: fit.exponentStandardError) {
    disturbances.append(sign)
  }
  verdicts.append(
    (
      "\(name) exponent \(g(target)) ± 0.05", String(format: "%.3f ± %.3f", fit.exponent, fit.exponentStandardError),
      PerformanceBenchmark.exponentVerdict(exponent: fit.exponent, standardError: fit.exponentStandardError, target: target)
    ))
}
md.append("")
md.append(
  "Exponent verdicts: met when the fitted exponent is inside the target ± 0.05 band and its standard error is at most 0.05; missed when it is outside and the band lies more than 2 standard errors away; otherwise inconclusive (the times scatter too much to decide; rerun on a quieter machine). The sparse-core target is judged at both head groupings probed: H_kv = H = 8 (no sharing, as in layers A and B; 16 MiB of K/V rows per kv group at L = 32768) and H_kv 2 (the paper's H/H_kv = 4: the same pairs, a quarter of the gathered bytes from the same per-group footprint)."
)
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

let decodeTargets = decodeVerdicts(decodeResult)
md += decodeMarkdown(decodeResult, verdicts: decodeTargets, limits: decodeLimits(decodeResult, timeModel: timeModel))
verdicts += decodeTargets

md += sideBySideMarkdown(sideBySide, path: sideBySidePath ?? "docs/data/side-by-side.json")

md.append("## Targets")
md.append("")
md.append("| target | measured | verdict |")
md.append("|---|---|---|")
for (target, measured, verdict) in verdicts { md.append("| \(target) | \(measured) | \(verdict) |") }
md.append("")
md.append(
  "Percent-of-peak verdicts (`PerformanceBenchmark.peakFractionVerdict`) use the best repeat: met when it reaches the target. Contention only slows a kernel; when the slowest repeat took s times the best and the best repeat's rate times s would reach the target, a miss is inconclusive (the best repeat may have been slowed as much), otherwise missed."
)
md.append("")
md.append(
  "Per-bucket wall times are not reported by `AttentionLayer.forward`: the dense core, the indexer and the sparse core are timed alone with `KernelProbe`; the whole-layer difference B − C is kept as a cross-check. The sparse core's time per selected pair grows with L while the rows one kv group gathers (2 · L · d_h · 4 B: 1 MiB at L = 2048, 16 MiB at L = 32768) move from the \(CacheHierarchy.detect().l2.map(mib) ?? "per-core") L2 to the \(CacheHierarchy.detect().l3.map(mib) ?? "shared") L3 (shared with the VM host's other tenants) and, past it, to DRAM: its exponent exceeds 1 for a reason FLOP counts cannot see."
)
md.append("")
md.append("## Raw series")
md.append("")
md.append("| series | L | median s | repeats | executed GFLOP/s | peak RSS |")
md.append("|---|---:|---:|---|---:|---:|")
for s in [result.denseLayer, result.gsa, result.indexerStage] + [result.groupedDenseLayer, result.groupedGsa].compactMap({ $0 }) {
  for p in s.points {
    md.append(
      "| \(s.name) | \(p.length) | \(g(p.medianSeconds)) | \(p.seconds.map { g($0, 3) }.joined(separator: ", ")) | \(g(p.executedFlopsPerSecond / 1e9)) | \(p.peakResidentBytes.map { String($0 / 1_048_576) + " MiB" } ?? "n/a") |"
    )
  }
}
md.append("")

md += timeModelMarkdown(timeModel, config: timeModelOptions(mode: mode).config)  // TimeModelSection.swift

md[runQualityLine] =
  disturbances.isEmpty
  ? "Run quality: no sign of contention (no kernel above the measured peak, roofline repeats within 25% of their best, targeted kernels' repeats within \(PerformanceBenchmark.contendedSlowdownPercent)% of their best, every host-speed probe between rounds at or above \(PerformanceBenchmark.hostSpeedFloorPercent)% of the peak and at most \(PerformanceBenchmark.hostProbeAbovePeakPercent)% above it, load below the core count, every targeted exponent fit with a standard error of at most 0.05)."
  : "**Run quality: disturbed.** " + disturbances.map { $0.prefix(1).uppercased() + $0.dropFirst() + "." }.joined(separator: " ")
var summarySpeedups = [(String, PerformanceBenchmark.SpeedupSummary)]()
if let s = result.speedup { summarySpeedups.append(("H_kv \(result.gsa.config.kvHeads)", s)) }
if let s = result.groupedSpeedup, let kvHeads = options.groupedKvHeads { summarySpeedups.append(("H_kv \(kvHeads)", s)) }
md.insert(
  contentsOf: summaryMarkdown(
    sideBySide: sideBySide, speedups: summarySpeedups, timeModel: timeModel, decode: decodeResult,
    disturbed: !disturbances.isEmpty),
  at: summaryLine)
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
    try PerformanceJSON.document(
      result, verdicts: verdicts, disturbances: disturbances, mode: mode, timestamp: stamp, decode: decodeJSON(decodeResult)
    )
    .adding([("time_model", timeModelJSON(timeModel))])  // TimeModelSection.swift
    .write(to: jsonTarget)
  } catch { fail("cannot write '\(jsonTarget)': \(error.localizedDescription)", status: 1) }
  print("wrote \(jsonTarget)")
}
for (target, measured, verdict) in verdicts { print("\(verdict.uppercased()): \(target): \(measured)") }
for sign in disturbances { FileHandle.standardError.write(Data("warning: disturbed run: \(sign)\n".utf8)) }
print("wrote \(outputPath)")
