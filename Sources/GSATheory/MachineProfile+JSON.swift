import Foundation

/// A profile file that cannot be used: the field at fault (a dotted path such as
/// `gather.curve[2].bytes_per_second.all_cores`, nil for the file as a whole) and what is wrong.
public struct ProfileError: Error, CustomStringConvertible, Sendable, Equatable {
  public let field: String?
  public let message: String
  public init(field: String?, _ message: String) {
    self.field = field
    self.message = message
  }
  /// One line: "field 'top_k.k': must be a positive integer, got 0".
  public var description: String { field.map { "field '\($0)': \(message)" } ?? message }
}

extension MachineProfile {
  /// A profile file's JSON tree (the toolkit's one JSON value type; object keys keep their order,
  /// so a profile always serialises to the same bytes).
  public typealias JSONNode = JSONValue

  // MARK: Encoding

  /// The profile as its file's JSON tree.
  public var json: JSONNode {
    func rate(_ r: ThreadedRate) -> JSONNode { .object([("per_thread", .number(r.perThread)), ("all_cores", .number(r.allCores))]) }
    func spec(_ v: SpecValue) -> JSONNode {
      .object([("value", .number(v.value)), ("label", .string(SpecValue.label)), ("source", .string(v.source))])
    }
    var machineFields: [(String, JSONNode)] = [("name", .string(machine.name)), ("model", .string(machine.model))]
    if let cores = machine.cores { machineFields.append(("cores", .int(cores))) }
    if let memory = machine.memoryBytes { machineFields.append(("memory_bytes", .int(memory))) }
    var fields: [(String, JSONNode)] = [
      ("schema_version", .int(Self.schemaVersion)), ("kind", .string(kind)), ("machine", .object(machineFields)),
      ("date", .string(date)),
    ]
    switch rates {
    case .measured(let m):
      fields += [
        ("threads", .int(m.threads)),
        ("fma_peak_flops_per_second", rate(m.fmaFlopsPerSecond)),
        ("triad_bytes_per_second", rate(m.triadBytesPerSecond)),
        (
          "gather",
          .object([
            ("row_bytes", .int(m.gatherRowBytes)),
            (
              "curve",
              .array(
                m.gatherCurve.map {
                  .object([("footprint_bytes", .int($0.footprintBytes)), ("bytes_per_second", rate($0.bytesPerSecond))])
                })
            ),
          ])
        ),
        (
          "top_k",
          .object([
            ("candidates", .int(m.topKCandidates)), ("k", .int(m.topKBudget)),
            ("seconds_per_candidate", rate(m.topKSecondsPerCandidate)),
          ])
        ),
        ("sigmoid_per_second", rate(m.sigmoidsPerSecond)),
        ("exp_per_second", rate(m.expsPerSecond)),
      ]
      let k = m.kernels
      fields += [
        (
          "gemm",
          .object([
            ("rows", .int(k.gemmRows)), ("inner", .int(k.gemmInner)), ("cols", .int(k.gemmCols)),
            ("flops_per_second", rate(k.gemmFlopsPerSecond)),
          ])
        ),
        (
          "dense_tile",
          .object([
            ("length", .int(k.denseLength)), ("heads", .int(k.denseHeads)), ("head_dim", .int(k.denseHeadDim)),
            ("flops_per_second", rate(k.denseFlopsPerSecond)),
          ])
        ),
        (
          "indexer_tile",
          .object([
            ("length", .int(k.indexerLength)), ("heads", .int(k.indexerHeads)), ("dim", .int(k.indexerDim)),
            ("flops_per_second", rate(k.indexerFlopsPerSecond)),
          ])
        ),
        (
          "sparse_row",
          .object([
            ("head_dim", .int(k.sparseHeadDim)), ("queries", .int(k.sparseQueries)), ("k", .int(k.sparseK)),
            ("group_sizes", .array(k.sparseGroupSizes.map { .int($0) })),
            (
              "curve",
              .array(
                k.sparseRowCurve.map {
                  .object([("footprint_bytes", .int($0.footprintBytes)), ("seconds_per_row", .array($0.secondsPerRow.map(rate)))])
                })
            ),
          ])
        ),
        ("read_bytes_per_second", rate(k.readBytesPerSecond)),
        (
          "gemv",
          .object([
            ("inner", .int(k.gemvInner)), ("cols", .int(k.gemvCols)),
            ("weight_bytes_per_second", rate(k.gemvWeightBytesPerSecond)),
          ])
        ),
        (
          "parallel_region",
          .object([
            ("idle_microseconds", .int(k.parallelRegionIdleMicroseconds)), ("seconds", .number(k.parallelRegionSeconds)),
          ])
        ),
        (
          "rope_table",
          .object([
            ("length", .int(k.ropeLength)), ("head_dim", .int(k.ropeHeadDim)),
            ("transcendentals_per_second", rate(k.ropeTranscendentalsPerSecond)),
          ])
        ),
        (
          "decode_row",
          .object([
            ("group_size", .int(k.decodeGroupSize)), ("head_dim", .int(k.decodeHeadDim)),
            (
              "curve",
              .array(
                k.decodeRowCurve.map {
                  .object([("footprint_bytes", .int($0.footprintBytes)), ("seconds_per_row", rate($0.secondsPerRow))])
                })
            ),
          ])
        ),
      ]
    case .spec(let s):
      fields += [
        ("peak_dense_bf16_flops_per_second", spec(s.peakDenseBF16FlopsPerSecond)),
        ("peak_fp32_flops_per_second", spec(s.peakFP32FlopsPerSecond)),
        ("hbm_bytes_per_second", spec(s.hbmBytesPerSecond)),
        ("l2_bytes", spec(s.l2Bytes)),
        ("sm_count", spec(s.smCount)),
      ]
    }
    if !method.isEmpty {
      fields.append(("method", .object(method.keys.sorted().map { ($0, .string(method[$0]!)) })))
    }
    return .object(fields)
  }

  /// The profile file's text (JSON with a trailing newline).
  public func encodedJSON() -> String { json.serialized() + "\n" }

  // MARK: Decoding

  /// Reads a profile from JSON bytes: every required field present with its type, then
  /// `validate()`. Unknown fields are ignored. Throws one `ProfileError` naming the first bad field.
  public static func decode(_ data: Data) throws(ProfileError) -> MachineProfile {
    let parsed: JSONNode
    do { parsed = try JSONNode.parse(data) } catch { throw ProfileError(field: nil, error.description) }
    guard case .object(let root) = parsed else { throw ProfileError(field: nil, "expected a JSON object at the top level") }
    let reader = try FieldReader(root, path: "")
    let version = try reader.int("schema_version")
    guard version == schemaVersion else {
      throw ProfileError(
        field: "schema_version", "is \(version); this gsa-theory reads schema_version \(schemaVersion)")
    }
    let kind = try reader.string("kind")
    let machineReader = try reader.object("machine")
    let machine = Machine(
      name: try machineReader.string("name"), model: try machineReader.string("model"),
      cores: try machineReader.optionalInt("cores"), memoryBytes: try machineReader.optionalInt("memory_bytes"))
    let date = try reader.string("date")
    let rates: Rates
    switch kind {
    case "measured":
      func rate(_ r: FieldReader, _ key: String) throws(ProfileError) -> ThreadedRate {
        let o = try r.object(key)
        return ThreadedRate(perThread: try o.number("per_thread"), allCores: try o.number("all_cores"))
      }
      let gather = try reader.object("gather")
      var curve = [GatherPoint]()
      for point in try gather.objects("curve") {
        curve.append(GatherPoint(footprintBytes: try point.int("footprint_bytes"), bytesPerSecond: try rate(point, "bytes_per_second")))
      }
      let topK = try reader.object("top_k")
      let gemm = try reader.object("gemm"), dense = try reader.object("dense_tile"), indexer = try reader.object("indexer_tile")
      let sparse = try reader.object("sparse_row")
      var groupSizes = [Int]()
      for (i, node) in try sparse.array("group_sizes").enumerated() {
        guard case .int(let g) = node else {
          throw ProfileError(field: sparse.path("group_sizes") + "[\(i)]", "must be an integer, got \(node.serialized())")
        }
        groupSizes.append(g)
      }
      var sparseCurve = [SparseRowPoint]()
      for point in try sparse.objects("curve") {
        var costs = [ThreadedRate]()
        for cost in try point.objects("seconds_per_row") {
          costs.append(ThreadedRate(perThread: try cost.number("per_thread"), allCores: try cost.number("all_cores")))
        }
        sparseCurve.append(SparseRowPoint(footprintBytes: try point.int("footprint_bytes"), secondsPerRow: costs))
      }
      let gemv = try reader.object("gemv")
      let decode = try reader.object("decode_row")
      let region = try reader.object("parallel_region")
      let rope = try reader.object("rope_table")
      var decodeCurve = [DecodeRowPoint]()
      for point in try decode.objects("curve") {
        decodeCurve.append(
          DecodeRowPoint(footprintBytes: try point.int("footprint_bytes"), secondsPerRow: try rate(point, "seconds_per_row")))
      }
      let kernels = KernelRates(
        gemmRows: try gemm.int("rows"), gemmInner: try gemm.int("inner"), gemmCols: try gemm.int("cols"),
        gemmFlopsPerSecond: try rate(gemm, "flops_per_second"), denseLength: try dense.int("length"),
        denseHeads: try dense.int("heads"), denseHeadDim: try dense.int("head_dim"),
        denseFlopsPerSecond: try rate(dense, "flops_per_second"), indexerLength: try indexer.int("length"),
        indexerHeads: try indexer.int("heads"), indexerDim: try indexer.int("dim"),
        indexerFlopsPerSecond: try rate(indexer, "flops_per_second"), sparseHeadDim: try sparse.int("head_dim"),
        sparseQueries: try sparse.int("queries"), sparseK: try sparse.int("k"), sparseGroupSizes: groupSizes,
        sparseRowCurve: sparseCurve, readBytesPerSecond: try rate(reader, "read_bytes_per_second"),
        decodeGroupSize: try decode.int("group_size"), decodeHeadDim: try decode.int("head_dim"), decodeRowCurve: decodeCurve,
        gemvInner: try gemv.int("inner"), gemvCols: try gemv.int("cols"),
        gemvWeightBytesPerSecond: try rate(gemv, "weight_bytes_per_second"),
        parallelRegionIdleMicroseconds: try region.int("idle_microseconds"), parallelRegionSeconds: try region.number("seconds"),
        ropeLength: try rope.int("length"), ropeHeadDim: try rope.int("head_dim"),
        ropeTranscendentalsPerSecond: try rate(rope, "transcendentals_per_second"))
      rates = .measured(
        MeasuredRates(
          threads: try reader.int("threads"), fmaFlopsPerSecond: try rate(reader, "fma_peak_flops_per_second"),
          triadBytesPerSecond: try rate(reader, "triad_bytes_per_second"), gatherRowBytes: try gather.int("row_bytes"),
          gatherCurve: curve, topKCandidates: try topK.int("candidates"), topKBudget: try topK.int("k"),
          topKSecondsPerCandidate: try rate(topK, "seconds_per_candidate"), sigmoidsPerSecond: try rate(reader, "sigmoid_per_second"),
          expsPerSecond: try rate(reader, "exp_per_second"), kernels: kernels))
    case "spec":
      func spec(_ key: String) throws(ProfileError) -> SpecValue {
        let o = try reader.object(key)
        let label = try o.string("label")
        guard label == SpecValue.label else {
          throw ProfileError(field: o.path("label"), "is '\(label)'; a datasheet figure is labelled '\(SpecValue.label)'")
        }
        return SpecValue(try o.number("value"), source: try o.string("source"))
      }
      rates = .spec(
        SpecRates(
          peakDenseBF16FlopsPerSecond: try spec("peak_dense_bf16_flops_per_second"),
          peakFP32FlopsPerSecond: try spec("peak_fp32_flops_per_second"), hbmBytesPerSecond: try spec("hbm_bytes_per_second"),
          l2Bytes: try spec("l2_bytes"), smCount: try spec("sm_count")))
    default:
      throw ProfileError(field: "kind", "is '\(kind)'; expected 'measured' or 'spec'")
    }
    var method = [String: String]()
    if case .object(let members)? = reader.members["method"] {
      for (key, value) in members { if case .string(let text) = value { method[key] = text } }
    }
    let profile = MachineProfile(machine: machine, date: date, rates: rates, method: method)
    try profile.validate()
    return profile
  }

  /// Reads the profile file at `path`.
  public static func load(path: String) throws(ProfileError) -> MachineProfile {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ProfileError(field: nil, "no such file")
    }
    guard !isDirectory.boolValue else { throw ProfileError(field: nil, "is a directory, not a profile file") }
    guard let data = FileManager.default.contents(atPath: path) else { throw ProfileError(field: nil, "cannot be read") }
    return try decode(data)
  }

  // MARK: Validation

  /// Checks every value: rates finite and positive (the parallel region's latency finite and
  /// ≥ 0: on one thread no region opens), counts ≥ 1, the gather curve non-empty with
  /// strictly increasing footprints, 0 < k < candidates, non-empty names, date and sources.
  /// Throws a `ProfileError` naming the first bad field (its JSON path).
  public func validate() throws(ProfileError) {
    func positive(_ x: Double, _ field: String) throws(ProfileError) {
      guard x.isFinite, x > 0 else { throw ProfileError(field: field, "must be a positive number, got \(Self.describe(x))") }
    }
    func positive(_ r: ThreadedRate, _ field: String) throws(ProfileError) {
      try positive(r.perThread, field + ".per_thread")
      try positive(r.allCores, field + ".all_cores")
    }
    func nonNegative(_ x: Double, _ field: String) throws(ProfileError) {
      guard x.isFinite, x >= 0 else {
        throw ProfileError(field: field, "must be a non-negative number, got \(Self.describe(x))")
      }
    }
    func atLeastOne(_ n: Int, _ field: String) throws(ProfileError) {
      guard n >= 1 else { throw ProfileError(field: field, "must be a positive integer, got \(n)") }
    }
    func nonEmpty(_ s: String, _ field: String) throws(ProfileError) {
      guard !s.trimmingCharacters(in: .whitespaces).isEmpty else { throw ProfileError(field: field, "must not be empty") }
    }
    /// A curve's point count (at least one), and point i's footprint: ≥ 1 and above point i − 1's.
    func nonEmptyCurve(_ count: Int, _ curve: String) throws(ProfileError) {
      guard count > 0 else { throw ProfileError(field: curve, "must hold at least one point") }
    }
    func footprint(_ footprints: [Int], _ i: Int, _ curve: String) throws(ProfileError) {
      let field = "\(curve)[\(i)].footprint_bytes"
      try atLeastOne(footprints[i], field)
      if i > 0, footprints[i] <= footprints[i - 1] {
        throw ProfileError(
          field: field, "must exceed the previous point's \(footprints[i - 1]) (footprints strictly increasing)")
      }
    }
    try nonEmpty(machine.name, "machine.name")
    try nonEmpty(machine.model, "machine.model")
    if let cores = machine.cores { try atLeastOne(cores, "machine.cores") }
    if let memory = machine.memoryBytes { try atLeastOne(memory, "machine.memory_bytes") }
    try nonEmpty(date, "date")
    switch rates {
    case .measured(let m):
      try atLeastOne(m.threads, "threads")
      try positive(m.fmaFlopsPerSecond, "fma_peak_flops_per_second")
      try positive(m.triadBytesPerSecond, "triad_bytes_per_second")
      try atLeastOne(m.gatherRowBytes, "gather.row_bytes")
      try nonEmptyCurve(m.gatherCurve.count, "gather.curve")
      let gatherFootprints = m.gatherCurve.map(\.footprintBytes)
      for (i, point) in m.gatherCurve.enumerated() {
        try footprint(gatherFootprints, i, "gather.curve")
        try positive(point.bytesPerSecond, "gather.curve[\(i)].bytes_per_second")
      }
      try atLeastOne(m.topKCandidates, "top_k.candidates")
      try atLeastOne(m.topKBudget, "top_k.k")
      guard m.topKBudget < m.topKCandidates else {
        throw ProfileError(field: "top_k.k", "is \(m.topKBudget); it must be below top_k.candidates \(m.topKCandidates)")
      }
      try positive(m.topKSecondsPerCandidate, "top_k.seconds_per_candidate")
      try positive(m.sigmoidsPerSecond, "sigmoid_per_second")
      try positive(m.expsPerSecond, "exp_per_second")
      let k = m.kernels
      try atLeastOne(k.gemmRows, "gemm.rows")
      try atLeastOne(k.gemmInner, "gemm.inner")
      try atLeastOne(k.gemmCols, "gemm.cols")
      try positive(k.gemmFlopsPerSecond, "gemm.flops_per_second")
      try atLeastOne(k.denseLength, "dense_tile.length")
      try atLeastOne(k.denseHeads, "dense_tile.heads")
      try atLeastOne(k.denseHeadDim, "dense_tile.head_dim")
      try positive(k.denseFlopsPerSecond, "dense_tile.flops_per_second")
      try atLeastOne(k.indexerLength, "indexer_tile.length")
      try atLeastOne(k.indexerHeads, "indexer_tile.heads")
      try atLeastOne(k.indexerDim, "indexer_tile.dim")
      try positive(k.indexerFlopsPerSecond, "indexer_tile.flops_per_second")
      try atLeastOne(k.sparseHeadDim, "sparse_row.head_dim")
      try atLeastOne(k.sparseQueries, "sparse_row.queries")
      try atLeastOne(k.sparseK, "sparse_row.k")
      guard k.sparseGroupSizes.count == 2 else {
        throw ProfileError(field: "sparse_row.group_sizes", "must hold two group sizes, got \(k.sparseGroupSizes.count)")
      }
      for (i, g) in k.sparseGroupSizes.enumerated() { try atLeastOne(g, "sparse_row.group_sizes[\(i)]") }
      guard k.sparseGroupSizes[1] > k.sparseGroupSizes[0] else {
        throw ProfileError(
          field: "sparse_row.group_sizes[1]", "must exceed the first group size \(k.sparseGroupSizes[0]) (strictly increasing)")
      }
      try nonEmptyCurve(k.sparseRowCurve.count, "sparse_row.curve")
      let sparseFootprints = k.sparseRowCurve.map(\.footprintBytes)
      for (i, point) in k.sparseRowCurve.enumerated() {
        let field = "sparse_row.curve[\(i)]"
        try footprint(sparseFootprints, i, "sparse_row.curve")
        guard point.secondsPerRow.count == k.sparseGroupSizes.count else {
          throw ProfileError(
            field: field + ".seconds_per_row",
            "must hold one cost per group size (\(k.sparseGroupSizes.count)), got \(point.secondsPerRow.count)")
        }
        for (j, cost) in point.secondsPerRow.enumerated() { try positive(cost, field + ".seconds_per_row[\(j)]") }
      }
      try positive(k.readBytesPerSecond, "read_bytes_per_second")
      try atLeastOne(k.gemvInner, "gemv.inner")
      try atLeastOne(k.gemvCols, "gemv.cols")
      try positive(k.gemvWeightBytesPerSecond, "gemv.weight_bytes_per_second")
      guard k.parallelRegionIdleMicroseconds >= 0 else {
        throw ProfileError(
          field: "parallel_region.idle_microseconds", "must be a non-negative integer, got \(k.parallelRegionIdleMicroseconds)")
      }
      try nonNegative(k.parallelRegionSeconds, "parallel_region.seconds")
      try atLeastOne(k.ropeLength, "rope_table.length")
      try atLeastOne(k.ropeHeadDim, "rope_table.head_dim")
      try positive(k.ropeTranscendentalsPerSecond, "rope_table.transcendentals_per_second")
      try atLeastOne(k.decodeGroupSize, "decode_row.group_size")
      try atLeastOne(k.decodeHeadDim, "decode_row.head_dim")
      try nonEmptyCurve(k.decodeRowCurve.count, "decode_row.curve")
      let decodeFootprints = k.decodeRowCurve.map(\.footprintBytes)
      for (i, point) in k.decodeRowCurve.enumerated() {
        try footprint(decodeFootprints, i, "decode_row.curve")
        try positive(point.secondsPerRow, "decode_row.curve[\(i)].seconds_per_row")
      }
    case .spec(let s):
      let values: [(String, SpecValue)] = [
        ("peak_dense_bf16_flops_per_second", s.peakDenseBF16FlopsPerSecond), ("peak_fp32_flops_per_second", s.peakFP32FlopsPerSecond),
        ("hbm_bytes_per_second", s.hbmBytesPerSecond), ("l2_bytes", s.l2Bytes), ("sm_count", s.smCount),
      ]
      for (field, value) in values {
        try positive(value.value, field + ".value")
        try nonEmpty(value.source, field + ".source")
      }
      guard s.smCount.value == s.smCount.value.rounded() else {
        throw ProfileError(field: "sm_count.value", "must be a whole number, got \(Self.describe(s.smCount.value))")
      }
    }
  }

  static func describe(_ x: Double) -> String { x.isNaN ? "NaN" : x.isInfinite ? (x > 0 ? "inf" : "-inf") : "\(x)" }
}

/// Typed access to one JSON object of a profile, naming the field's full path in every error.
private struct FieldReader {
  let members: [String: MachineProfile.JSONNode]
  let prefix: String

  init(_ members: [(String, MachineProfile.JSONNode)], path: String) throws(ProfileError) {
    var byKey = [String: MachineProfile.JSONNode]()
    for (key, value) in members {
      guard byKey[key] == nil else {
        throw ProfileError(field: path.isEmpty ? key : path + "." + key, "is given twice; give it once")
      }
      byKey[key] = value
    }
    self.members = byKey
    self.prefix = path
  }

  func path(_ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }

  private func value(_ key: String, expected: String) throws(ProfileError) -> MachineProfile.JSONNode {
    guard let value = members[key] else { throw ProfileError(field: path(key), "is missing; expected \(expected)") }
    if case .null = value { throw ProfileError(field: path(key), "is null; expected \(expected)") }
    return value
  }

  func number(_ key: String) throws(ProfileError) -> Double {
    switch try value(key, expected: "a number") {
    case .int(let i): return Double(i)
    case .number(let d): return d
    case let other: throw ProfileError(field: path(key), "must be a number, got \(Self.show(other))")
    }
  }

  func int(_ key: String) throws(ProfileError) -> Int {
    switch try value(key, expected: "an integer") {
    case .int(let i): return i
    case .number(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
    case let other: throw ProfileError(field: path(key), "must be an integer, got \(Self.show(other))")
    }
  }

  func optionalInt(_ key: String) throws(ProfileError) -> Int? {
    switch members[key] {
    case nil, .null?: return nil
    default: return try int(key)
    }
  }

  func string(_ key: String) throws(ProfileError) -> String {
    let raw = try value(key, expected: "a string")
    guard case .string(let text) = raw else { throw ProfileError(field: path(key), "must be a string, got \(Self.show(raw))") }
    return text
  }

  func object(_ key: String) throws(ProfileError) -> FieldReader {
    let raw = try value(key, expected: "an object")
    guard case .object(let nested) = raw else { throw ProfileError(field: path(key), "must be an object, got \(Self.show(raw))") }
    return try FieldReader(nested, path: path(key))
  }

  func array(_ key: String) throws(ProfileError) -> [MachineProfile.JSONNode] {
    let raw = try value(key, expected: "an array")
    guard case .array(let items) = raw else { throw ProfileError(field: path(key), "must be an array, got \(Self.show(raw))") }
    return items
  }

  func objects(_ key: String) throws(ProfileError) -> [FieldReader] {
    let raw = try value(key, expected: "an array of objects")
    guard case .array(let items) = raw else { throw ProfileError(field: path(key), "must be an array, got \(Self.show(raw))") }
    var readers = [FieldReader]()
    for (i, item) in items.enumerated() {
      guard case .object(let nested) = item else {
        throw ProfileError(field: path(key) + "[\(i)]", "must be an object, got \(Self.show(item))")
      }
      readers.append(try FieldReader(nested, path: path(key) + "[\(i)]"))
    }
    return readers
  }

  /// A short rendering of a JSON value for an error message.
  private static func show(_ value: MachineProfile.JSONNode) -> String {
    switch value {
    case .string(let text): return "'\(text.count > 40 ? String(text.prefix(40)) + "…" : text)'"
    case .array: return "an array"
    case .object: return "an object"
    default: return value.serialized()
    }
  }
}
