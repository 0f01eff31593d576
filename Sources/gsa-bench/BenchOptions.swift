// gsa-bench's small helpers around main.swift: usage text, the smoke preset, where the JSON goes,
// and the figure lines the markdown embeds (drawn by Notebooks/performance.py from the JSON).
import Foundation
import GSATheory

let benchUsage = """
  usage: gsa-bench [--output FILE] [--json FILE] [--side-by-side FILE|none] [--quick | --smoke] [--only time-model]
  Writes the performance report (markdown) to FILE (default docs/performance.md) and its data as JSON to
  --json FILE (default docs/data/performance.json when --output is docs/performance.md; otherwise none).
    --side-by-side FILE  the torch SDPA / reference-layer comparison that Benchmarks/side_by_side.py wrote
             (default docs/data/side-by-side.json; rendered when it exists; 'none' leaves it out)
    --quick  short lengths, one repeat (a fast check, not the published numbers)
    --smoke  shorter still, with a short roofline measurement (CI: make docs-check)
    --only time-model  the time-model section alone (its profile, sweeps and speedup series) to --output FILE,
             which must not be docs/performance.md
  `make bench` builds the release binary with the CPU flags and writes both default files.
  """

/// The file `make bench` refreshes next to docs/performance.md.
let defaultMarkdownPath = "docs/performance.md"
let defaultJSONPath = "docs/data/performance.json"

struct BenchUsageError: Error { let message: String }

/// `--json FILE` if given (its directory must exist); docs/data/performance.json (directory
/// created) when the markdown goes to docs/performance.md; otherwise no JSON.
func resolvedJSONPath(_ requested: String?, output: String) throws(BenchUsageError) -> String? {
  if let requested {
    let directory = URL(fileURLWithPath: requested).deletingLastPathComponent().path
    guard FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory) else {
      throw BenchUsageError(message: "--json: directory '\(directory)' does not exist; create it first")
    }
    return requested
  }
  guard output == defaultMarkdownPath else { return nil }
  let directory = URL(fileURLWithPath: defaultJSONPath).deletingLastPathComponent().path
  do {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  } catch {
    throw BenchUsageError(message: "cannot create '\(directory)' for the default --json file: \(error.localizedDescription)")
  }
  return defaultJSONPath
}

extension PerformanceBenchmark.Options {
  /// `--smoke`: the smallest run that still fills every section and figure (two fit lengths
  /// at least, so a slope exists): for CI, where the notebook only has to run, not to be right.
  mutating func applySmoke() {
    fitLengths = [128, 256, 512]
    denseLengths = [256, 512]
    speedupLength = 512
    k = 32
    repeats = 1
    sparseAsymptoticLengths = [256, 512, 1024]
    gatherRowsPerWorker = 20_000
    rooflineRepeats = 2
    rooflineFmaPerThread = 4_000_000
    rooflineTriadElements = 1 << 20
  }
}

/// The figures of docs/performance.md, saved by Notebooks/performance.py as figures/<name>.png
/// (paths relative to the markdown file; `make docs` saves them into docs/figures).
enum PerformanceFigure: String, CaseIterable {
  case roofline = "performance_roofline"
  case kernelRates = "performance_kernel_rates"
  case speedup = "performance_speedup"
  case scaling = "performance_scaling"
  case decode = "performance_decode"

  var title: String {
    switch self {
    case .roofline: "Roofline of this machine with the measured kernels"
    case .kernelRates: "Kernel GFLOP/s and percent of peak"
    case .speedup: "Measured vs FLOP-predicted speedup"
    case .scaling: "Wall time against L with fitted slopes"
    case .decode: "Decode step time and bytes against L, measured against predicted"
    }
  }

  var caption: String {
    switch self {
    case .roofline:
      "This machine's roofline (measured peak and STREAM bandwidth) with each kernel at its achieved GFLOP/s, "
        + "between its no-reuse and compulsory-traffic arithmetic intensities."
    case .kernelRates:
      "Achieved GFLOP/s and % of the measured peak of the dense core and the indexers at every probed length, "
        + "against the 60% and 50% targets."
    case .speedup:
      "Measured GSA-over-dense time speedup against the FLOP-predicted one (ledger ratio), with the ±25% target band."
    case .scaling:
      "Median wall time against L for every timed series, log-log, with the least-squares slope of each."
    case .decode:
      "Left: best decode-step time of the four variants at batch 1 against L (points) and the bytes-predicted time "
        + "(lines: bytes / triad + indexer FLOPs / peak), with the large batch at the target length. Right: counted bytes per step."
    }
  }
}

func figure(_ f: PerformanceFigure) -> [String] {
  ["![\(f.title)](figures/\(f.rawValue).png)", "", "*\(f.caption)*", ""]
}

/// The lines under the header: where the figures and the data come from.
func figureIntroduction(mode: String) -> [String] {
  var lines = [
    "The figures are drawn by `Notebooks/performance.py` from the JSON gsa-bench writes with this page "
      + "(`--json`; `make bench`: `docs/data/performance.json`); `make docs` reruns the benchmark and redraws them (`make docs SKIP_BENCH=1` redraws them from the committed JSON).",
    "",
  ]
  if mode != "full" {
    lines += ["**This is a `--\(mode)` run: short lengths and one repeat, not the published numbers.**", ""]
  }
  return lines
}
