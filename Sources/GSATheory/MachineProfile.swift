import Foundation

/// A machine's rates for the time model: measured on this CPU by micro-benchmarks, or taken from a
/// GPU's datasheet. Serialised as JSON with a `schema_version` (docs/machine-profile.md).
///
/// A **measured** profile (`gsa-theory roofline --save FILE`) holds, each per thread (one thread
/// alone) and for all cores (every thread at once, aggregate):
/// - `fma_peak_flops_per_second` (FLOP/s): independent chains of 8-wide float32 FMAs in registers
///   (`Roofline.peakFlops`, 16 FLOPs per vector FMA);
/// - `triad_bytes_per_second` (B/s): the STREAM triad a = b + s·c over arrays larger than the last
///   cache level, 12 bytes per element (`Roofline.streamTriad`);
/// - `gather.curve` (B/s against footprint in bytes): random whole-row reads of `row_bytes` rows
///   from one shared buffer of each footprint, 8 rows in flight per thread
///   (`KernelProbe.gatherRate`), from L1 through L2 and L3 to DRAM; read with
///   `MeasuredRates.gatherBytesPerSecond(footprintBytes:scope:)`;
/// - `top_k.seconds_per_candidate` (s): `TopK.select` with budget `k` on rows of `candidates`
///   Gaussian scores (`KernelProbe.topKSecondsPerCandidate`); a row of n candidates costs
///   n × this;
/// - `sigmoid_per_second`, `exp_per_second` (evaluations/s): the gates' vectorised σ and the sparse
///   softmax's exp over an L1-resident buffer (`KernelProbe.transcendentalRate`).
/// - the kernels' own rates (`kernels`, `KernelRates`; schema_version 2): `gemm`, `dense_tile`,
///   `indexer_tile` (FLOP/s), `sparse_row` (seconds per gathered row against footprint, at two
///   group sizes) and `read_bytes_per_second`, each kernel run alone on synthetic operands;
///   schema_version 3 adds `decode_row` (the dense decode core's seconds per cached row against
///   the cache's footprint) and `gemv` (a one-row GEMM's weight bytes per second);
///   schema_version 4 adds `parallel_region` (the latency of one parallel region after idle) and
///   `rope_table` (the RoPE tables' libm transcendentals per second).
/// Each rate is the best of its repeats (the highest rate, the lowest time per candidate).
///
/// A **spec** profile (`h100`, `h200`, shipped in Sources/GSATheory/Profiles) holds a GPU's peak
/// dense bf16 and fp32 FLOP/s, HBM bandwidth (B/s), L2 size (bytes) and SM count, each labelled
/// `[spec]` with its datasheet source; it has no measured curves.
///
/// Both record the machine (`machine.name`, `machine.model`, cores and memory when known) and the
/// date (ISO 8601, UTC) of the measurement or of the compilation from the datasheets.
public struct MachineProfile: Sendable, Hashable {
  /// The one schema this version reads and writes.
  public static let schemaVersion = 4

  /// What the profile describes.
  public struct Machine: Sendable, Hashable {
    /// Short name: "this" for a measured profile, "h100"/"h200" for the shipped specs.
    public var name: String
    /// CPU or GPU model, e.g. "AMD EPYC" or "NVIDIA H100 SXM5 80GB".
    public var model: String
    /// Logical CPU cores (measured profiles).
    public var cores: Int?
    /// Physical memory in bytes (measured profiles).
    public var memoryBytes: Int?

    public init(name: String, model: String, cores: Int? = nil, memoryBytes: Int? = nil) {
      self.name = name
      self.model = model
      self.cores = cores
      self.memoryBytes = memoryBytes
    }
  }

  /// Which of a measured rate's two values: one thread alone, or every thread at once.
  public enum Scope: String, Sendable, Hashable, CaseIterable {
    case perThread = "per_thread"
    case allCores = "all_cores"
  }

  /// A measured rate on one thread and on all `MeasuredRates.threads` threads together.
  public struct ThreadedRate: Sendable, Hashable {
    public var perThread: Double
    public var allCores: Double
    public init(perThread: Double, allCores: Double) {
      self.perThread = perThread
      self.allCores = allCores
    }
    public subscript(scope: Scope) -> Double { scope == .perThread ? perThread : allCores }
  }

  /// One point of the gather curve: the rate at which random rows of a buffer of this footprint
  /// are read.
  public struct GatherPoint: Sendable, Hashable {
    public var footprintBytes: Int
    public var bytesPerSecond: ThreadedRate
    public init(footprintBytes: Int, bytesPerSecond: ThreadedRate) {
      self.footprintBytes = footprintBytes
      self.bytesPerSecond = bytesPerSecond
    }
  }

  /// The micro-benchmark rates of a measured (CPU) profile.
  public struct MeasuredRates: Sendable, Hashable {
    /// Threads of the all-cores measurements.
    public var threads: Int
    /// Peak float32 FLOP/s (FMA chains).
    public var fmaFlopsPerSecond: ThreadedRate
    /// STREAM triad bytes/s (12 bytes per element).
    public var triadBytesPerSecond: ThreadedRate
    /// Bytes per gathered row (4 × d_h floats for the attention cores' K/V rows).
    public var gatherRowBytes: Int
    /// Gather rate against footprint, footprints strictly increasing.
    public var gatherCurve: [GatherPoint]
    /// Candidates per row and budget k of the top-k measurement.
    public var topKCandidates: Int
    public var topKBudget: Int
    /// Seconds per candidate of `TopK.select` (all cores: wall time / candidates of all threads).
    public var topKSecondsPerCandidate: ThreadedRate
    /// σ evaluations per second (`sigmoidV`).
    public var sigmoidsPerSecond: ThreadedRate
    /// exp evaluations per second (`expV`).
    public var expsPerSecond: ThreadedRate
    /// The kernels' own rates (schema_version 2): GEMM, dense flash tile, indexer score tile,
    /// sparse core per gathered row, read-only streaming.
    public var kernels: KernelRates

    public init(
      threads: Int, fmaFlopsPerSecond: ThreadedRate, triadBytesPerSecond: ThreadedRate, gatherRowBytes: Int,
      gatherCurve: [GatherPoint], topKCandidates: Int, topKBudget: Int, topKSecondsPerCandidate: ThreadedRate,
      sigmoidsPerSecond: ThreadedRate, expsPerSecond: ThreadedRate, kernels: KernelRates
    ) {
      self.kernels = kernels
      self.threads = threads
      self.fmaFlopsPerSecond = fmaFlopsPerSecond
      self.triadBytesPerSecond = triadBytesPerSecond
      self.gatherRowBytes = gatherRowBytes
      self.gatherCurve = gatherCurve
      self.topKCandidates = topKCandidates
      self.topKBudget = topKBudget
      self.topKSecondsPerCandidate = topKSecondsPerCandidate
      self.sigmoidsPerSecond = sigmoidsPerSecond
      self.expsPerSecond = expsPerSecond
    }

    /// The gather rate (bytes/s) at footprint F bytes: the gather curve interpolated linearly in
    /// log F. With points (F_1, r_1), …, (F_n, r_n), F_1 < … < F_n:
    ///
    ///     r(F) = r_1                                                    for F ≤ F_1
    ///     r(F) = r_i + (r_{i+1} − r_i)·(ln F − ln F_i)/(ln F_{i+1} − ln F_i)  for F_i ≤ F ≤ F_{i+1}
    ///     r(F) = r_n                                                    for F ≥ F_n
    ///
    /// Log-footprint interpolation because the curve's steps sit at cache sizes spaced by factors
    /// (32 KiB, 512 KiB, 32 MiB here) and the points are spaced geometrically; beyond the last
    /// point the footprint is in DRAM and the rate stays the DRAM rate.
    ///
    /// Mathematical properties:
    /// - r(F_i) = r_i exactly at every measured point; r is continuous in F.
    /// - On each segment r is monotone (between r_i and r_{i+1}), so min r_i ≤ r(F) ≤ max r_i.
    /// - Constant outside [F_1, F_n] (every F ≤ F_1, including 0 and negative F, gives r_1);
    ///   NaN for a NaN footprint.
    public func gatherBytesPerSecond(footprintBytes: Double, scope: Scope = .allCores) -> Double {
      MachineProfile.interpolateLogLinear(
        footprintBytes, points: gatherCurve.map { (Double($0.footprintBytes), $0.bytesPerSecond[scope]) })
    }
  }

  /// One point of the sparse core's row cost: seconds per gathered row at a footprint, one value
  /// per group size of `KernelRates.sparseGroupSizes`.
  public struct SparseRowPoint: Sendable, Hashable {
    public var footprintBytes: Int
    public var secondsPerRow: [ThreadedRate]
    public init(footprintBytes: Int, secondsPerRow: [ThreadedRate]) {
      self.footprintBytes = footprintBytes
      self.secondsPerRow = secondsPerRow
    }
  }

  /// One point of the dense decode core's row cost: seconds per cached (kv-group) row when the
  /// streamed K and V span `footprintBytes` (per thread: one thread over all of it; all cores:
  /// each thread over its share, wall seconds per row of all threads).
  public struct DecodeRowPoint: Sendable, Hashable {
    public var footprintBytes: Int
    public var secondsPerRow: ThreadedRate
    public init(footprintBytes: Int, secondsPerRow: ThreadedRate) {
      self.footprintBytes = footprintBytes
      self.secondsPerRow = secondsPerRow
    }
  }

  /// The rates of the layer's own kernels, each run alone on synthetic operands
  /// (`KernelProbe.gemmRate`, `denseTileRate`, `indexerTileRate`, `sparseRowSeconds`,
  /// `readBandwidth`), on one thread (per_thread) and on all the profile's threads (all_cores).
  public struct KernelRates: Sendable, Hashable {
    /// `gemm` at m × k by k × n (the projections' shape: L rows, D inner, a D-wide output), 2mkn FLOPs.
    public var gemmRows: Int
    public var gemmInner: Int
    public var gemmCols: Int
    public var gemmFlopsPerSecond: ThreadedRate
    /// The dense flash core (causal, `denseHeads` heads over one kv head of `denseHeadDim`, length
    /// `denseLength`): executed FLOPs per second, its tiles' exps and comparisons inside the rate.
    public var denseLength: Int
    public var denseHeads: Int
    public var denseHeadDim: Int
    public var denseFlopsPerSecond: ThreadedRate
    /// The indexer score kernel (causal, `indexerHeads` × `indexerDim`, length `indexerLength`):
    /// executed pair FLOPs per second, the pairs' σ inside the rate.
    public var indexerLength: Int
    public var indexerHeads: Int
    public var indexerDim: Int
    public var indexerFlopsPerSecond: ThreadedRate
    /// The sparse core's seconds per gathered (query, kv group) row: `sparseQueries` queries of
    /// `sparseK` uniform random keys each, head dimension `sparseHeadDim`, at each footprint of
    /// the group's K and V and each group size (query heads per kv head) in `sparseGroupSizes`.
    public var sparseHeadDim: Int
    public var sparseQueries: Int
    public var sparseK: Int
    public var sparseGroupSizes: [Int]
    public var sparseRowCurve: [SparseRowPoint]
    /// Read-only streaming bandwidth, bytes/s (a sum over a buffer larger than the last cache).
    public var readBytesPerSecond: ThreadedRate
    /// The dense decode core (`denseDecodePart`: `decodeGroupSize` heads of `decodeHeadDim` per kv
    /// group): seconds per cached row against the footprint of the K and V it streams.
    public var decodeGroupSize: Int
    public var decodeHeadDim: Int
    public var decodeRowCurve: [DecodeRowPoint]
    /// `gemm` with one row (a decode step's GEMV, 1 × `gemvInner` by `gemvInner` × `gemvCols`),
    /// its weights cold (`KernelProbe.coldGemvRate`): weight bytes per second (4·k·n bytes over the
    /// wall time), the call's fixed costs inside.
    public var gemvInner: Int
    public var gemvCols: Int
    public var gemvWeightBytesPerSecond: ThreadedRate
    /// One parallel region (`parallelTasks` on every thread, no work) after the pool sat idle for
    /// `parallelRegionIdleMicroseconds`, as between a decode step's passes: the median of a repeat's
    /// regions, in seconds (`KernelProbe.dispatchSeconds`). A decode step pays it per region it
    /// opens (`AttentionLayer.decodeParallelRegions`).
    public var parallelRegionIdleMicroseconds: Int
    public var parallelRegionSeconds: Double
    /// The RoPE tables (`AttentionLayer.ropeTables`, `ropeLength` positions at `ropeHeadDim`):
    /// their counted transcendentals (libm cos, sin, pow in float64) per second.
    public var ropeLength: Int
    public var ropeHeadDim: Int
    public var ropeTranscendentalsPerSecond: ThreadedRate

    public init(
      gemmRows: Int, gemmInner: Int, gemmCols: Int, gemmFlopsPerSecond: ThreadedRate, denseLength: Int, denseHeads: Int,
      denseHeadDim: Int, denseFlopsPerSecond: ThreadedRate, indexerLength: Int, indexerHeads: Int, indexerDim: Int,
      indexerFlopsPerSecond: ThreadedRate, sparseHeadDim: Int, sparseQueries: Int, sparseK: Int, sparseGroupSizes: [Int],
      sparseRowCurve: [SparseRowPoint], readBytesPerSecond: ThreadedRate, decodeGroupSize: Int, decodeHeadDim: Int,
      decodeRowCurve: [DecodeRowPoint], gemvInner: Int, gemvCols: Int, gemvWeightBytesPerSecond: ThreadedRate,
      parallelRegionIdleMicroseconds: Int, parallelRegionSeconds: Double, ropeLength: Int, ropeHeadDim: Int,
      ropeTranscendentalsPerSecond: ThreadedRate
    ) {
      self.ropeLength = ropeLength
      self.ropeHeadDim = ropeHeadDim
      self.ropeTranscendentalsPerSecond = ropeTranscendentalsPerSecond
      self.parallelRegionIdleMicroseconds = parallelRegionIdleMicroseconds
      self.parallelRegionSeconds = parallelRegionSeconds
      self.gemvInner = gemvInner
      self.gemvCols = gemvCols
      self.gemvWeightBytesPerSecond = gemvWeightBytesPerSecond
      self.decodeGroupSize = decodeGroupSize
      self.decodeHeadDim = decodeHeadDim
      self.decodeRowCurve = decodeRowCurve
      self.gemmRows = gemmRows
      self.gemmInner = gemmInner
      self.gemmCols = gemmCols
      self.gemmFlopsPerSecond = gemmFlopsPerSecond
      self.denseLength = denseLength
      self.denseHeads = denseHeads
      self.denseHeadDim = denseHeadDim
      self.denseFlopsPerSecond = denseFlopsPerSecond
      self.indexerLength = indexerLength
      self.indexerHeads = indexerHeads
      self.indexerDim = indexerDim
      self.indexerFlopsPerSecond = indexerFlopsPerSecond
      self.sparseHeadDim = sparseHeadDim
      self.sparseQueries = sparseQueries
      self.sparseK = sparseK
      self.sparseGroupSizes = sparseGroupSizes
      self.sparseRowCurve = sparseRowCurve
      self.readBytesPerSecond = readBytesPerSecond
    }

    /// c_G(F), seconds per gathered row for group size G at footprint F bytes: each group size's
    /// curve interpolated linearly in ln F (constant beyond its ends, as the gather curve), then
    /// linearly in G through the two measured group sizes G_1 < G_2 (extrapolated beyond them),
    /// never below 0:
    ///
    ///     c_G(F) = max(0, c_1(F) + (G − G_1)·(c_2(F) − c_1(F))/(G_2 − G_1))
    ///
    /// The row's gathers cost the same for every G; each head adds its dot products, exp and P·V,
    /// so the cost is taken as linear in G.
    public func sparseSecondsPerRow(groupSize G: Int, footprintBytes F: Double, scope: Scope = .allCores) -> Double {
      let curves = sparseGroupSizes.indices.map { i in
        MachineProfile.interpolateLogLinear(
          F, points: sparseRowCurve.map { (Double($0.footprintBytes), $0.secondsPerRow[i][scope]) })
      }
      guard curves.count >= 2, let g1 = sparseGroupSizes.first, let g2 = sparseGroupSizes.last, g2 > g1 else {
        return curves.first ?? .nan
      }
      let c1 = curves.first!, c2 = curves.last!
      return max(0, c1 + Double(G - g1) * (c2 - c1) / Double(g2 - g1))
    }
  }

  /// A datasheet figure: its value, the label `[spec]` and the document it comes from.
  public struct SpecValue: Sendable, Hashable {
    /// The label every datasheet figure carries.
    public static let label = "[spec]"
    public var value: Double
    public var source: String
    public init(_ value: Double, source: String) {
      self.value = value
      self.source = source
    }
  }

  /// The datasheet figures of a GPU spec profile.
  public struct SpecRates: Sendable, Hashable {
    /// Peak dense (no 2:4 sparsity) bf16 Tensor Core FLOP/s.
    public var peakDenseBF16FlopsPerSecond: SpecValue
    /// Peak fp32 (non-Tensor) FLOP/s.
    public var peakFP32FlopsPerSecond: SpecValue
    /// HBM bandwidth, bytes/s.
    public var hbmBytesPerSecond: SpecValue
    /// L2 cache size, bytes.
    public var l2Bytes: SpecValue
    /// Streaming multiprocessors.
    public var smCount: SpecValue

    public init(
      peakDenseBF16FlopsPerSecond: SpecValue, peakFP32FlopsPerSecond: SpecValue, hbmBytesPerSecond: SpecValue,
      l2Bytes: SpecValue, smCount: SpecValue
    ) {
      self.peakDenseBF16FlopsPerSecond = peakDenseBF16FlopsPerSecond
      self.peakFP32FlopsPerSecond = peakFP32FlopsPerSecond
      self.hbmBytesPerSecond = hbmBytesPerSecond
      self.l2Bytes = l2Bytes
      self.smCount = smCount
    }
  }

  /// Measured CPU rates or GPU datasheet figures.
  public enum Rates: Sendable, Hashable {
    case measured(MeasuredRates)
    case spec(SpecRates)
  }

  /// Arithmetic precisions the profile can give a peak for.
  public enum Precision: String, Sendable, CaseIterable {
    case fp32, bf16
  }

  public var machine: Machine
  /// ISO 8601 UTC date-time of the measurement (or of the compilation from datasheets).
  public var date: String
  public var rates: Rates
  /// How each rate was obtained, by field name (informational; written and read back, not validated).
  public var method: [String: String]

  public init(machine: Machine, date: String, rates: Rates, method: [String: String] = [:]) {
    self.machine = machine
    self.date = date
    self.rates = rates
    self.method = method
  }

  /// "measured" or "spec" (the JSON `kind`).
  public var kind: String {
    switch rates {
    case .measured: return "measured"
    case .spec: return "spec"
    }
  }

  public var measured: MeasuredRates? {
    if case .measured(let m) = rates { return m }
    return nil
  }

  public var spec: SpecRates? {
    if case .spec(let s) = rates { return s }
    return nil
  }

  /// Peak FLOP/s at `precision`: a measured profile's FMA peak (fp32 only; nil for bf16, which
  /// the CPU kernels do not use), a spec profile's datasheet peak (`scope` does not apply).
  public func peakFlopsPerSecond(_ precision: Precision, scope: Scope = .allCores) -> Double? {
    switch rates {
    case .measured(let m): return precision == .fp32 ? m.fmaFlopsPerSecond[scope] : nil
    case .spec(let s): return precision == .fp32 ? s.peakFP32FlopsPerSecond.value : s.peakDenseBF16FlopsPerSecond.value
    }
  }

  /// Streaming memory bandwidth (bytes/s): the triad for a measured profile, HBM for a spec one.
  public func memoryBytesPerSecond(scope: Scope = .allCores) -> Double {
    switch rates {
    case .measured(let m): return m.triadBytesPerSecond[scope]
    case .spec(let s): return s.hbmBytesPerSecond.value
    }
  }

  /// `date` formatted as the profile records it: ISO 8601, UTC, seconds.
  public static func timestamp(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
  }

  /// Piecewise-linear interpolation of (x_i, y_i), x strictly increasing, in ln x; constant beyond
  /// the ends (see `MeasuredRates.gatherBytesPerSecond`). NaN for NaN x or no points.
  static func interpolateLogLinear(_ x: Double, points: [(Double, Double)]) -> Double {
    guard !x.isNaN, let first = points.first, let last = points.last else { return .nan }
    if x <= first.0 { return first.1 }
    if x >= last.0 { return last.1 }
    // The first point above x; x lies in [points[i − 1].0, points[i].0).
    let i = points.firstIndex { $0.0 > x }!
    let (x0, y0) = points[i - 1], (x1, y1) = points[i]
    let t = (log(x) - log(x0)) / (log(x1) - log(x0))
    return y0 + (y1 - y0) * t
  }
}

extension MachineProfile.KernelRates {
  /// c_D(F), seconds per cached row of the dense decode core at cache footprint F bytes, for head
  /// dimension d: the curve interpolated linearly in ln F (constant beyond its ends, as the gather
  /// curve), scaled by d/d_p (a row's bytes and FLOPs are both proportional to d; d_p the probe's):
  ///
  ///     c_D(F) = c_p(F)·d/d_p
  ///
  /// The probe's group size G_p is kept: a layer with another G = H/H_kv is priced at G_p's row
  /// cost (an assumption; the paper shape's G is 4, the probe's). NaN without a curve.
  public func decodeSecondsPerRow(headDim d: Int, footprintBytes F: Double, scope: MachineProfile.Scope = .allCores) -> Double {
    guard !decodeRowCurve.isEmpty else { return .nan }
    let c = MachineProfile.interpolateLogLinear(
      F, points: decodeRowCurve.map { (Double($0.footprintBytes), $0.secondsPerRow[scope]) })
    return c * Double(d) / Double(max(1, decodeHeadDim))
  }
}
