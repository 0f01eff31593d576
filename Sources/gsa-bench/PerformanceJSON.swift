// The machine-readable companion of docs/performance.md: every measurement of a
// `PerformanceBenchmark.Result` as one JSON document (schema_version 1), read by
// Notebooks/performance.py to draw the roofline, kernel-rate and speedup figures.
//
// Encoding is generic: stored properties are found by reflection (`Mirror`) and written in
// declaration order with snake_case keys, so a field added to `PerformanceBenchmark.Result`
// (or to the structs it holds) appears in the JSON without touching this file. Types whose
// JSON needs more than their stored properties (derived medians, bucket totals) conform to
// `PerformanceJSONEncodable`. `[Int: T]` dictionaries (per-length results) become arrays sorted
// by length, each element `{"length": L, ...T's fields}`. Non-finite numbers become null.
import Foundation
import GSAModel
import GSATheory
import GSATheoryCLI

/// An ordered JSON value: keys keep their insertion order, so the output is deterministic.
indirect enum PerformanceJSON: Sendable {
  case null
  case bool(Bool)
  case int(Int)
  case number(Double)
  case string(String)
  case array([PerformanceJSON])
  case object([(String, PerformanceJSON)])

  static let schemaVersion = 2

  /// Pretty-printed with 2-space indentation; arrays of scalars and objects of at most four
  /// scalars stay on one line.
  func serialized(indent: Int = 0) -> String {
    let pad = String(repeating: "  ", count: indent + 1)
    let closing = String(repeating: "  ", count: indent)
    switch self {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .number(let d): return d.isFinite ? "\(d)" : "null"
    case .string(let s): return Self.quote(s)
    case .array(let items):
      if items.isEmpty { return "[]" }
      if items.allSatisfy(\.isScalar) { return "[" + items.map { $0.serialized() }.joined(separator: ", ") + "]" }
      return "[\n" + items.map { pad + $0.serialized(indent: indent + 1) }.joined(separator: ",\n") + "\n" + closing + "]"
    case .object(let members):
      if members.isEmpty { return "{}" }
      if members.count <= 4, members.allSatisfy(\.1.isScalar) {  // small records (FLOP counts) on one line
        return "{" + members.map { Self.quote($0.0) + ": " + $0.1.serialized() }.joined(separator: ", ") + "}"
      }
      let lines = members.map { pad + Self.quote($0.0) + ": " + $0.1.serialized(indent: indent + 1) }
      return "{\n" + lines.joined(separator: ",\n") + "\n" + closing + "}"
    }
  }

  private var isScalar: Bool {
    switch self {
    case .array, .object: false
    default: true
    }
  }

  private static func quote(_ s: String) -> String { JSONValue.quote(s) }

  /// `object` plus `extra` members appended (used to add derived values to a reflected struct).
  func adding(_ extra: [(String, PerformanceJSON)]) -> PerformanceJSON {
    guard case .object(let members) = self else { return self }
    return .object(members + extra)
  }
}

/// Types whose JSON is not just their stored properties.
protocol PerformanceJSONEncodable { var performanceJSON: PerformanceJSON { get } }

extension PerformanceJSON {
  /// Any value: scalars, optionals, arrays, `[Int: T]` (as a length-sorted array), string-backed
  /// enums (their raw value), `PerformanceJSONEncodable`, and otherwise a struct's stored properties.
  static func encode(_ value: Any) -> PerformanceJSON {
    if let custom = value as? PerformanceJSONEncodable { return custom.performanceJSON }
    switch value {
    case let v as Bool: return .bool(v)
    case let v as Int: return .int(v)
    case let v as UInt64: return v <= UInt64(Int.max) ? .int(Int(v)) : .number(Double(v))
    case let v as Double: return .number(v)
    case let v as Float: return .number(Double(v))
    case let v as String: return .string(v)
    default: break
    }
    if let raw = value as? any RawRepresentable, let text = raw.rawValue as? String { return .string(text) }
    let mirror = Mirror(reflecting: value)
    switch mirror.displayStyle {
    case .optional:
      return mirror.children.first.map { encode($0.value) } ?? .null
    case .collection, .set:
      return .array(mirror.children.map { encode($0.value) })
    case .dictionary:
      var entries = [(key: Int, value: Any)]()
      var named = [(key: String, value: Any)]()
      for child in mirror.children {
        let pair = Array(Mirror(reflecting: child.value).children)
        guard pair.count == 2 else { continue }
        if let key = pair[0].value as? Int {
          entries.append((key, pair[1].value))
        } else {
          named.append(("\(pair[0].value)", pair[1].value))
        }
      }
      if named.isEmpty {
        return .array(
          entries.sorted { $0.key < $1.key }.map { entry in
            let encoded = encode(entry.value)
            if case .object(let members) = encoded { return .object([("length", .int(entry.key))] + members) }
            return .object([("length", .int(entry.key)), ("value", encoded)])
          })
      }
      return .object(named.sorted { $0.key < $1.key }.map { ($0.key, encode($0.value)) })
    case .tuple:
      return .array(mirror.children.map { encode($0.value) })
    case .enum:
      return .string("\(value)")
    default:
      return .object(mirror.children.compactMap { child in child.label.map { (snakeCase($0), encode(child.value)) } })
    }
  }

  /// `medianSeconds` → `median_seconds`, `executedGFLOPS` → `executed_gflops`.
  static func snakeCase(_ name: String) -> String {
    var out = ""
    let characters = Array(name)
    for (i, c) in characters.enumerated() {
      if c.isUppercase {
        let previousLower = i > 0 && !characters[i - 1].isUppercase
        let nextLower = i + 1 < characters.count && characters[i + 1].isLowercase
        if i > 0 && (previousLower || nextLower) && characters[i - 1] != "_" { out.append("_") }
        out += c.lowercased()
      } else {
        out.append(c)
      }
    }
    return out
  }

  static func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }
}

// MARK: Derived values the notebook needs next to the stored ones.

extension BucketCounts: PerformanceJSONEncodable {
  /// One object per `FlopBucket`, then their `total`.
  var performanceJSON: PerformanceJSON {
    .object(FlopBucket.allCases.map { ($0.rawValue, PerformanceJSON.encode(self[$0])) } + [("total", .encode(total))])
  }
}

extension Roofline.Statistics: PerformanceJSONEncodable {
  var performanceJSON: PerformanceJSON {
    .object([("values", .encode(values)), ("best", .number(best)), ("median", .number(median)), ("worst", .number(worst))])
  }
}

extension Roofline.Measurement: PerformanceJSONEncodable {
  var performanceJSON: PerformanceJSON {
    reflected(self).adding([
      ("peak_flops_per_second", .number(peakFlopsPerSecond)), ("peak_bytes_per_second", .number(peakBytesPerSecond)),
      ("ridge_intensity", .number(ridgeIntensity)), ("fma_chains_per_thread", .int(Roofline.chains)),
    ])
  }
}

extension KernelProbe.Timing: PerformanceJSONEncodable {
  var performanceJSON: PerformanceJSON {
    reflected(self).adding([
      ("median_seconds", .number(medianSeconds)), ("median_cpu_seconds", .number(PerformanceJSON.median(cpuSeconds))),
      ("useful_gflops", .number(usefulGFLOPS)), ("executed_gflops", .number(executedGFLOPS)),
    ])
  }
}

extension SweepPoint: PerformanceJSONEncodable {
  var performanceJSON: PerformanceJSON {
    reflected(self).adding([
      ("median_seconds", .number(medianSeconds)), ("executed_flops_per_second", .number(executedFlopsPerSecond)),
    ])
  }
}

/// A struct's stored properties (bypassing its own `PerformanceJSONEncodable` conformance).
func reflected(_ value: Any) -> PerformanceJSON {
  .object(
    Mirror(reflecting: value).children.compactMap { child in
      child.label.map { (PerformanceJSON.snakeCase($0), PerformanceJSON.encode(child.value)) }
    })
}

// MARK: The document

extension PerformanceJSON {
  /// The whole report. `verdicts` are the issue-3 target rows of the markdown (target, measured,
  /// verdict); `mode` names the option preset (full, quick, smoke).
  static func document(
    _ result: PerformanceBenchmark.Result, verdicts: [(String, String, String)], disturbances: [String] = [], mode: String,
    timestamp: String, decode: PerformanceJSON = .null
  ) -> PerformanceJSON {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let cpu =
      cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
      .flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
    let process = ProcessInfo.processInfo
    let dense = PerformanceBenchmark.denseConfig(result.options)
    let loads = [result.loadAverageBefore, result.loadAverageAfter].map { text in
      PerformanceJSON.array(text.split(separator: " ").map { Double($0).map(PerformanceJSON.number) ?? .null })
    }
    // The result's own fields, in declaration order, then the verdicts (new Result fields land here too).
    guard case .object(let measured) = reflected(result) else { return .null }
    return .object(
      [
        ("schema_version", .int(schemaVersion)),
        ("generator", .string("gsa-bench (Sources/gsa-bench)")),
        ("timestamp", .string(timestamp)),
        ("mode", .string(mode)),
        (
          "machine",
          .object([
            ("cpu_model", .string(cpu)), ("cores", .int(process.activeProcessorCount)),
            ("memory_bytes", .encode(process.physicalMemory)),
          ])
        ),
        ("kernel_tiling", reflected(KernelTiling.standard)),
        // The probes' shapes are not in `Result`: KernelProbe.denseCore runs the dense layer's attention
        // shape (H, H_kv, d_h of `denseConfig`), the indexer probes the `indexers` entries' H_I × d_I.
        (
          "dense_core_shape",
          .object([
            ("heads", .int(dense.heads)), ("kv_heads", .int(dense.kvHeads)), ("head_dim", .int(dense.headDim)),
            ("causal", .bool(dense.causal)),
          ])
        ),
        (
          "sparse_core_shape",
          .object([("heads", .int(PerformanceBenchmark.probeHeads)), ("head_dim", .int(PerformanceBenchmark.probeHeadDim))])
        ),
        ("load_averages", .object([("before", loads[0]), ("after", loads[1])])),
      ] + measured + [
        ("traffic_bytes", trafficBytes(result)),
        ("speedup", speedup(result.speedup)),
        // The same for layers A′ and B′ at H_kv = options.grouped_kv_heads (null when skipped).
        ("speedup_grouped", speedup(result.groupedSpeedup)),
        // Decode steps with a KV cache (`DecodeBenchmark`; null when not run).
        ("decode", decode),
        (
          "verdicts",
          .array(
            verdicts.map { row in
              .object([("target", .string(row.0)), ("measured", .string(row.1)), ("verdict", .string(row.2))])
            })
        ),
        // Signs of contention (`PerformanceBenchmark.disturbances`); empty for a clean run.
        ("disturbances", .array(disturbances.map { .string($0) })),
      ])
  }

  /// `TrafficModel` bounds of every probe timing, in the probes' own structure: `dense_core`,
  /// `indexers` (`scores`, `with_selection`), `sparse_cores`, each a length-sorted array of
  /// `{length, compulsory, no_reuse}` (bytes).
  static func trafficBytes(_ result: PerformanceBenchmark.Result) -> PerformanceJSON {
    let o = result.options
    let dense = PerformanceBenchmark.denseConfig(o)
    let tiling = KernelTiling.standard
    func perLength<T>(_ timings: [Int: T], _ bounds: (Int) -> TrafficBounds) -> PerformanceJSON {
      .encode(Dictionary(uniqueKeysWithValues: timings.keys.map { ($0, bounds($0)) }))
    }
    return .object([
      (
        "dense_core",
        perLength(result.denseCore) { L in
          TrafficModel.denseCore(
            length: L, heads: dense.heads, kvHeads: dense.kvHeads, headDim: dense.headDim, rowGroup: tiling.denseRowGroup)
        }
      ),
      (
        "indexers",
        .array(
          result.indexers.map { probe in
            func bounds(_ select: Bool) -> (Int) -> TrafficBounds {
              { L in
                TrafficModel.indexer(
                  length: L, heads: probe.indexerHeads, dim: probe.indexerDim, queryBlock: tiling.indexerQueryBlock, k: o.k,
                  select: select)
              }
            }
            return .object([
              ("indexer_heads", .int(probe.indexerHeads)), ("indexer_dim", .int(probe.indexerDim)),
              ("scores", perLength(probe.scores, bounds(false))),
              ("with_selection", perLength(probe.withSelection, bounds(true))),
            ])
          })
      ),
      (
        "sparse_cores",
        .array(
          result.sparseCores.map { probe in
            .object([
              ("kv_heads", .int(probe.kvHeads)),
              (
                "timings",
                perLength(probe.timings) { L in
                  TrafficModel.sparseCore(
                    length: L, heads: PerformanceBenchmark.probeHeads, kvHeads: probe.kvHeads,
                    headDim: PerformanceBenchmark.probeHeadDim, k: o.k)
                }
              ),
            ])
          })
      ),
    ])
  }

  /// A `PerformanceBenchmark.SpeedupSummary` with its derived values, or null when a layer was not
  /// timed at the speedup length.
  static func speedup(_ summary: PerformanceBenchmark.SpeedupSummary?) -> PerformanceJSON {
    guard let s = summary else { return .null }
    return reflected(s).adding([
      ("roofline_bound", .number(s.rooflineBound)), ("deviation", .number(s.deviation)),
      ("gsa_part_limit_seconds", s.gsaPartLimitSeconds.map(PerformanceJSON.number) ?? .null),
      ("part_limit_bound", s.partLimitBound.map(PerformanceJSON.number) ?? .null),
      ("band_edge_seconds", .number(s.bandEdgeSeconds)),
    ])
  }

  /// Writes the document whole or not at all (temporary file in the same directory, then rename).
  func write(to path: String) throws {
    let temporary = path + ".tmp-\(getpid())"
    do {
      try Data((serialized() + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
      guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    } catch {
      unlink(temporary)
      throw error
    }
  }
}
