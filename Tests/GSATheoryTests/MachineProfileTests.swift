import Foundation
import GSATheory
import PropertyTesting
import Testing

/// Machine profiles: the file format round-trips, every bad field gets its one-line error, the
/// gather curve interpolates as documented, the shipped GPU specs load, and a (tiny) measurement
/// yields a valid profile. No assertion depends on a measured rate's size.
@Suite struct MachineProfileTests {
  typealias Profile = MachineProfile

  /// Seeded random measured profiles: positive rates over many magnitudes, 1–10 gather points.
  static var measuredProfiles: Gen<Profile> {
    let rate = Gen<Double>.double(in: -12...13).map { Foundation.pow(10, $0) }
    let threaded = Gen.zip(rate, rate).map { Profile.ThreadedRate(perThread: $0.0, allCores: $0.1) }
    let steps = Gen<Int>.int(in: 1...64).array(count: .int(in: 1...10))
    return Gen.zip(Gen.zip(threaded, threaded, threaded), Gen.zip(steps, threaded.array(count: .constant(10))), Gen<Int>.int(in: 1...64))
      .map { rates, curveParts, threads in
        var footprint = 0
        let curve = curveParts.0.enumerated().map { i, step in
          footprint += step * 4096
          return Profile.GatherPoint(footprintBytes: footprint, bytesPerSecond: curveParts.1[i])
        }
        let measured = Profile.MeasuredRates(
          threads: threads, fmaFlopsPerSecond: rates.0, triadBytesPerSecond: rates.1, gatherRowBytes: 512, gatherCurve: curve,
          topKCandidates: 32768, topKBudget: 2048, topKSecondsPerCandidate: rates.2, sigmoidsPerSecond: rates.0,
          expsPerSecond: rates.1, kernels: Self.kernels(rates.0, rates.1, rates.2, footprints: curve.map(\.footprintBytes)))
        return Profile(
          machine: .init(name: "this", model: "CPU \"quoted\" \\ model", cores: threads, memoryBytes: 1 << 34),
          date: "2026-01-02T03:04:05Z", rates: .measured(measured), method: ["gather": "random rows", "top_k": "radix select"])
      }
  }

  /// Kernel rates from three rates, a sparse row cost per footprint (two group sizes).
  static func kernels(
    _ a: Profile.ThreadedRate, _ b: Profile.ThreadedRate, _ c: Profile.ThreadedRate, footprints: [Int]
  ) -> Profile.KernelRates {
    Profile.KernelRates(
      gemmRows: 1536, gemmInner: 512, gemmCols: 512, gemmFlopsPerSecond: a, denseLength: 4096, denseHeads: 2, denseHeadDim: 64,
      denseFlopsPerSecond: b, indexerLength: 8192, indexerHeads: 2, indexerDim: 16, indexerFlopsPerSecond: a, sparseHeadDim: 64,
      sparseQueries: 4096, sparseK: 256, sparseGroupSizes: [1, 4],
      sparseRowCurve: footprints.map { .init(footprintBytes: $0, secondsPerRow: [c, b]) }, readBytesPerSecond: b,
      decodeGroupSize: 4, decodeHeadDim: 64, decodeRowCurve: footprints.map { .init(footprintBytes: $0, secondsPerRow: c) },
      gemvInner: 512, gemvCols: 512, gemvWeightBytesPerSecond: a, parallelRegionIdleMicroseconds: 20,
      parallelRegionSeconds: 1.2e-5, ropeLength: 4096, ropeHeadDim: 64, ropeTranscendentalsPerSecond: a)
  }

  @Test func measuredProfilesRoundTripThroughTheirFile() throws {
    try forAll(Self.measuredProfiles, configuration: .init(cases: 60)) { profile in
      let text = profile.encodedJSON()
      let decoded = try Profile.decode(Data(text.utf8))
      // Same value, and the same bytes when written again.
      return decoded == profile && decoded.encodedJSON() == text
    }
  }

  @Test func shippedSpecProfilesLoadAndRoundTrip() throws {
    for name in Profile.specNames {
      let profile = try Profile.spec(named: name)
      #expect(profile.machine.name == name)
      #expect(profile.kind == "spec")
      #expect(try Profile.decode(Data(profile.encodedJSON().utf8)) == profile)
      let spec = try #require(profile.spec)
      for value in [spec.peakDenseBF16FlopsPerSecond, spec.peakFP32FlopsPerSecond, spec.hbmBytesPerSecond, spec.l2Bytes, spec.smCount] {
        #expect(value.value > 0 && !value.source.isEmpty)
      }
      #expect(profile.peakFlopsPerSecond(.bf16) == spec.peakDenseBF16FlopsPerSecond.value)
      #expect(profile.memoryBytesPerSecond() == spec.hbmBytesPerSecond.value)
    }
  }

  /// The datasheet figures as the docs quote them (docs/machine-profile.md): dense bf16 is half the
  /// "with sparsity" 1,979 TFLOPS; the H200 differs from the H100 only in HBM bandwidth.
  @Test func shippedSpecFiguresAreTheDatasheets() throws {
    let h100 = try #require(try Profile.spec(named: "h100").spec)
    let h200 = try #require(try Profile.spec(named: "h200").spec)
    #expect(h100.peakDenseBF16FlopsPerSecond.value == 1979e12 / 2)
    #expect(h100.peakFP32FlopsPerSecond.value == 67e12)
    #expect(h100.hbmBytesPerSecond.value == 3.35e12)
    #expect(h100.l2Bytes.value == 50 * 1_048_576)
    #expect(h100.smCount.value == 132)
    #expect(h200.hbmBytesPerSecond.value == 4.8e12)
    #expect(h200.peakDenseBF16FlopsPerSecond == h100.peakDenseBF16FlopsPerSecond || h200.peakDenseBF16FlopsPerSecond.value == 1979e12 / 2)
    #expect(h200.peakFP32FlopsPerSecond.value == h100.peakFP32FlopsPerSecond.value)
    #expect(h200.smCount.value == h100.smCount.value && h200.l2Bytes.value == h100.l2Bytes.value)
  }

  // MARK: Bad profiles

  static let sample: Profile = {
    let rate = Profile.ThreadedRate(perThread: 1e10, allCores: 2e10)
    return Profile(
      machine: .init(name: "this", model: "CPU", cores: 2, memoryBytes: 1 << 34), date: "2026-01-02T03:04:05Z",
      rates: .measured(
        .init(
          threads: 2, fmaFlopsPerSecond: rate, triadBytesPerSecond: rate, gatherRowBytes: 512,
          gatherCurve: [.init(footprintBytes: 16384, bytesPerSecond: rate), .init(footprintBytes: 1 << 20, bytesPerSecond: rate)],
          topKCandidates: 32768, topKBudget: 2048, topKSecondsPerCandidate: .init(perThread: 1e-9, allCores: 5e-10),
          sigmoidsPerSecond: rate, expsPerSecond: rate,
          kernels: kernels(rate, rate, .init(perThread: 4e-8, allCores: 2e-8), footprints: [1 << 18, 1 << 24]))))
  }()

  /// Every leaf of a JSON object as (path, value), paths as `ProfileError.field` spells them.
  static func leaves(_ value: Any, path: String = "") -> [(String, Any)] {
    if let object = value as? [String: Any] {
      return object.keys.sorted().flatMap { leaves(object[$0]!, path: path.isEmpty ? $0 : path + "." + $0) }
    }
    if let array = value as? [Any] { return array.enumerated().flatMap { leaves($1, path: path + "[\($0)]") } }
    return [(path, value)]
  }

  /// `root` with the leaf at `path` replaced by `value` (nil: removed).
  static func replacing(_ root: Any, path: String, with value: Any?) -> Any {
    func split(_ path: String) -> [String] {
      path.replacingOccurrences(of: "[", with: ".[").split(separator: ".").map(String.init)
    }
    func go(_ node: Any, _ keys: ArraySlice<String>) -> Any {
      guard let key = keys.first else { return value as Any }
      if key.hasPrefix("["), var array = node as? [Any], let index = Int(key.dropFirst().dropLast()) {
        array[index] = go(array[index], keys.dropFirst())
        return array
      }
      var object = node as! [String: Any]
      if keys.count == 1, value == nil {
        object.removeValue(forKey: key)
      } else {
        object[key] = go(object[key]!, keys.dropFirst())
      }
      return object
    }
    return go(root, split(path)[...])
  }

  static func decode(_ root: Any) -> Result<Profile, ProfileError> {
    let data = try! JSONSerialization.data(withJSONObject: root)
    do { return .success(try Profile.decode(data)) } catch { return .failure(error) }
  }

  @Test func everyMissingRequiredFieldIsNamed() throws {
    let root = try JSONSerialization.jsonObject(with: Data(Self.sample.encodedJSON().utf8))
    let optional: Set<String> = ["machine.cores", "machine.memory_bytes"]
    for (path, _) in Self.leaves(root) where !optional.contains(path) && !path.hasPrefix("method") {
      guard case .failure(let error) = Self.decode(Self.replacing(root, path: path, with: nil)) else {
        Issue.record("removing \(path) was accepted")
        continue
      }
      #expect(error.field == path, "removing \(path): \(error)")
      #expect(error.description.contains("'\(path)'") && !error.description.contains("\n"))
    }
    // The optional machine fields may be absent.
    for path in optional {
      #expect((try? Self.decode(Self.replacing(root, path: path, with: nil)).get()) != nil, "\(path) is optional")
    }
  }

  @Test func everyNonPositiveRateAndCountIsNamed() throws {
    let root = try JSONSerialization.jsonObject(with: Data(Self.sample.encodedJSON().utf8))
    let numeric = Self.leaves(root).filter { $0.1 is NSNumber && $0.0 != "schema_version" }.map(\.0)
    #expect(numeric.count >= 20)
    // A region's latency and its idle time may be 0 (no region opens on one thread), not negative.
    let zeroAllowed: Set<String> = ["parallel_region.seconds", "parallel_region.idle_microseconds"]
    for path in zeroAllowed {
      #expect((try? Self.decode(Self.replacing(root, path: path, with: 0)).get()) != nil, "\(path) = 0 is allowed")
    }
    for path in numeric {
      for bad in zeroAllowed.contains(path) ? [-1.0, -1.5] : [0.0, -1.5] {
        guard case .failure(let error) = Self.decode(Self.replacing(root, path: path, with: bad)) else {
          Issue.record("\(path) = \(bad) was accepted")
          continue
        }
        #expect(error.field == path, "\(path) = \(bad): \(error)")
      }
    }
  }

  @Test func wrongTypesKindsAndOrderAreNamed() throws {
    let root = try JSONSerialization.jsonObject(with: Data(Self.sample.encodedJSON().utf8))
    func field(_ path: String, _ value: Any?) -> String? {
      if case .failure(let error) = Self.decode(Self.replacing(root, path: path, with: value)) { return error.field }
      return nil
    }
    #expect(field("schema_version", 1) == "schema_version")  // a file from before the kernel rates
    #expect(field("schema_version", 2) == "schema_version")  // a file from before the decode row cost
    #expect(field("schema_version", 3) == "schema_version")  // a file from before the parallel region
    #expect(field("schema_version", 5) == "schema_version")
    #expect(field("schema_version", "1") == "schema_version")
    #expect(field("kind", "guess") == "kind")
    #expect(field("threads", 1.5) == "threads")
    #expect(field("fma_peak_flops_per_second.all_cores", "fast") == "fma_peak_flops_per_second.all_cores")
    #expect(field("fma_peak_flops_per_second.all_cores", NSNull()) == "fma_peak_flops_per_second.all_cores")
    #expect(field("gather.curve[1].footprint_bytes", 16384) == "gather.curve[1].footprint_bytes")  // not increasing
    #expect(field("gather.curve", [Any]()) == "gather.curve")
    #expect(field("top_k.k", 32768) == "top_k.k")  // k must be below the candidates
    #expect(field("machine.name", " ") == "machine.name")
    #expect(field("sparse_row.group_sizes", [4, 1]) == "sparse_row.group_sizes[1]")  // not increasing
    #expect(field("sparse_row.group_sizes", [1]) == "sparse_row.group_sizes")
    #expect(field("sparse_row.group_sizes", [1, "4"]) == "sparse_row.group_sizes[1]")
    #expect(field("sparse_row.curve[1].footprint_bytes", 1 << 18) == "sparse_row.curve[1].footprint_bytes")
    #expect(
      field("sparse_row.curve[0].seconds_per_row", [["per_thread": 1e-8, "all_cores": 1e-8]]) == "sparse_row.curve[0].seconds_per_row")
    #expect(field("sparse_row.curve", [Any]()) == "sparse_row.curve")
    #expect(field("gemm.flops_per_second.per_thread", "fast") == "gemm.flops_per_second.per_thread")
    #expect(field("decode_row.curve[1].footprint_bytes", 1) == "decode_row.curve[1].footprint_bytes")  // not increasing
    #expect(field("decode_row.curve", [Any]()) == "decode_row.curve")
    #expect(field("decode_row", NSNull()) == "decode_row")
    #expect(field("date", "") == "date")
    let spec = try JSONSerialization.jsonObject(with: Data(try Profile.spec(named: "h100").encodedJSON().utf8))
    if case .failure(let error) = Self.decode(Self.replacing(spec, path: "hbm_bytes_per_second.label", with: "[measured]")) {
      #expect(error.field == "hbm_bytes_per_second.label")
    } else {
      Issue.record("a spec value without the [spec] label was accepted")
    }
    if case .failure(let error) = Self.decode(Self.replacing(spec, path: "sm_count.value", with: 131.5)) {
      #expect(error.field == "sm_count.value")
    } else {
      Issue.record("a fractional SM count was accepted")
    }
  }

  @Test func malformedFilesGetOneLine() {
    for text in ["", "{", "[1, 2]", "null", "{\"schema_version\": 1,}"] {
      do {
        _ = try Profile.decode(Data(text.utf8))
        Issue.record("'\(text)' was accepted")
      } catch {
        #expect(error.field == nil && !error.description.isEmpty && !error.description.contains("\n"), "\(error)")
      }
    }
    #expect(throws: ProfileError.self) { try Profile.load(path: "/nonexistent/profile.json") }
    #expect(throws: ProfileError.self) { try Profile.spec(named: "h300") }
  }

  /// The profile reader's JSON parser against hand-written texts, and doubles bit for bit.
  @Test func jsonParserIsExactAndStrict() throws {
    typealias Node = Profile.JSONNode
    func parse(_ text: String) throws -> Node { try Node.parse(Data(text.utf8)) }
    #expect(
      try parse(#" {"a": [1, -2.5e-3, true, false, null], "b": "\u00e9\ud83d\ude00\n\"x\""} "#)
        == .object([("a", .array([.int(1), .number(-0.0025), .bool(true), .bool(false), .null])), ("b", .string("é😀\n\"x\""))]))
    #expect(try parse("9223372036854775807") == .int(Int.max))
    #expect(try parse("9223372036854775808") == .number(9_223_372_036_854_775_808))
    for bad in ["", "01", "1.", "-", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "\"\\x\"", "\"abc", "[1] 2", "nul", "1e999", "\"\u{01}\""] {
      #expect(throws: JSONParseError.self, "\(bad)") { try parse(bad) }
    }
    try forAll(Gen<Double>.double(in: -300...300).map { Foundation.pow(10, $0) * 1.234_567_890_123 }) { x in
      try parse(Node.number(x).serialized()) == .number(x) || x == x.rounded()
    }
  }

  // MARK: The gather curve

  /// Hand-computed: between 1 KiB (100) and 4 KiB (50), 2 KiB is the log midpoint (75) and
  /// 4^(1/4) KiB a quarter of the way (87.5); constant beyond the ends.
  @Test func gatherRateInterpolatesLinearlyInLogFootprint() throws {
    var rates = try #require(Self.sample.measured)
    rates.gatherCurve = [
      .init(footprintBytes: 1024, bytesPerSecond: .init(perThread: 100, allCores: 200)),
      .init(footprintBytes: 4096, bytesPerSecond: .init(perThread: 50, allCores: 80)),
      .init(footprintBytes: 65536, bytesPerSecond: .init(perThread: 10, allCores: 20)),
    ]
    func rate(_ footprint: Double, _ scope: Profile.Scope = .perThread) -> Double {
      rates.gatherBytesPerSecond(footprintBytes: footprint, scope: scope)
    }
    #expect(rate(1024) == 100 && rate(4096) == 50 && rate(65536) == 10)
    #expect(abs(rate(2048) - 75) < 1e-12)
    #expect(abs(rate(1024 * Foundation.pow(4, 0.25)) - 87.5) < 1e-12)
    #expect(abs(rate(16384) - 30) < 1e-12)  // log midpoint of 4 KiB and 64 KiB
    #expect(abs(rate(2048, .allCores) - 140) < 1e-12)
    #expect(rate(1) == 100 && rate(0) == 100 && rate(-5) == 100)
    #expect(rate(1e12) == 10 && rate(.infinity) == 10)
    #expect(rate(.nan).isNaN)
  }

  @Test func gatherRateIsExactAtPointsAndBoundedByNeighbours() throws {
    let cases = Gen.zip(Self.measuredProfiles, Gen<Double>.double(in: 0...1), Gen<Double>.double(in: 0...1))
    try forAll(cases, configuration: .init(cases: 80)) { profile, position, where_ in
      let rates = profile.measured!
      let curve = rates.gatherCurve
      for point in curve where rates.gatherBytesPerSecond(footprintBytes: Double(point.footprintBytes)) != point.bytesPerSecond.allCores {
        return false
      }
      // A footprint inside a random segment lies between that segment's rates.
      let i = min(curve.count - 1, Int(position * Double(curve.count)))
      let j = min(curve.count - 1, i + 1)
      let f0 = Double(curve[i].footprintBytes), f1 = Double(curve[j].footprintBytes)
      let footprint = f0 + where_ * (f1 - f0)
      let r = rates.gatherBytesPerSecond(footprintBytes: footprint)
      let lo = min(curve[i].bytesPerSecond.allCores, curve[j].bytesPerSecond.allCores)
      let hi = max(curve[i].bytesPerSecond.allCores, curve[j].bytesPerSecond.allCores)
      return r >= lo * (1 - 1e-12) && r <= hi * (1 + 1e-12)
    }
  }

  // MARK: Measuring

  @Test func aSmokeMeasurementIsAValidProfileThatRoundTrips() throws {
    let profile = try Profile.measure(
      .smoke(threads: 2), machine: .init(name: "this", model: "test CPU", cores: 2), date: Date(timeIntervalSince1970: 0))
    #expect(profile.date == "1970-01-01T00:00:00Z")
    let rates = try #require(profile.measured)
    #expect(rates.threads == 2 && rates.gatherCurve.map(\.footprintBytes) == [16 << 10, 64 << 10])
    #expect(rates.topKCandidates == 512 && rates.topKBudget == 16 && rates.gatherRowBytes == 512)
    #expect(!profile.method.isEmpty)
    #expect(try Profile.decode(Data(profile.encodedJSON().utf8)) == profile)
  }
}
