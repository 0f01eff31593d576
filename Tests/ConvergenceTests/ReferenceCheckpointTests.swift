import Foundation
import GSAModel
import PropertyTesting
import Testing

@testable import GSATheory

/// Writes a safetensors file from (name, dtype, shape, raw little-endian bytes) entries.
func writeSafetensors(_ path: String, _ tensors: [(String, String, [Int], [UInt8])], metadata: [String: String] = [:]) throws {
  var entries: [String] = []
  if !metadata.isEmpty {
    entries.append(
      "\"__metadata__\":{" + metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "}")
  }
  var offset = 0
  for (name, dtype, shape, bytes) in tensors {
    entries.append(
      "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes.count)]}"
    )
    offset += bytes.count
  }
  var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
  while header.count % 8 != 0 { header.append(0x20) }
  var out = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
  for (_, _, _, bytes) in tensors { out += bytes }
  try Data(out).write(to: URL(fileURLWithPath: path))
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory(_ label: String) throws -> String {
  let path = NSTemporaryDirectory() + "gsa-\(label)-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// The tiny checkpoint's tensors re-encoded in `dtype` (F32 values rounded to F16 / BF16).
func reencodedCheckpoint(dtype: String, into directory: String, drop: String? = nil, reshape: String? = nil) throws {
  let source = ReferenceFixtures.path("tiny-gsa-llama")
  let file = try SafetensorsFile(path: source + "/model.safetensors")
  var tensors: [(String, String, [Int], [UInt8])] = []
  for name in file.names where name != drop {
    let values = try file.doubles(name)
    var bytes: [UInt8] = []
    for v in values {
      switch dtype {
      case "F16": bytes += withUnsafeBytes(of: Float16(Float(v)).bitPattern.littleEndian, Array.init)
      case "BF16":
        // Round to nearest even on the upper 16 bits.
        let bits = Float(v).bitPattern
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16
        bytes += withUnsafeBytes(of: UInt16(rounded).littleEndian, Array.init)
      default: bytes += withUnsafeBytes(of: Float(v).bitPattern.littleEndian, Array.init)
      }
    }
    var shape = file.entries[name]!.shape
    if name == reshape { shape = [shape[0] / 2, shape[1] * 2] }
    tensors.append((name, dtype, shape, bytes))
  }
  try writeSafetensors(directory + "/model.safetensors", tensors)
  try FileManager.default.copyItem(atPath: source + "/config.json", toPath: directory + "/config.json")
}

@Suite("reference checkpoints: config.json, layer N's tensors, transposed, F32/F16/BF16, lazily")
struct ReferenceCheckpointTests {
  @Test("each layer of the tiny GSA-LLaMA reproduces the reference's attention output on its own hidden states")
  func tinyLlamaLayers() throws {
    let checkpoint = try ReferenceCheckpoint(directory: ReferenceFixtures.path("tiny-gsa-llama"))
    #expect(checkpoint.layerCount == 2)
    let activations = try SafetensorsFile(path: ReferenceFixtures.path("tiny-gsa-llama-activations.safetensors"))
    for n in 0..<checkpoint.layerCount {
      let layer = try checkpoint.layer(n)
      #expect(layer.config.kRule == .code && layer.config.modelDim == 32 && layer.config.kvHeads == 2)
      let x = try activations.doubles("layers.\(n).attention_input")
      let expected = try activations.doubles("layers.\(n).attention_output")
      let l = x.count / layer.config.modelDim
      let (sets, k) = try ReferenceFixture.selection(activations, name: "layers.\(n).selected", countName: "layers.\(n).k_t")
      let result = try layer.attentionLayer().forward(
        try Matrix(rows: l, cols: layer.config.modelDim, doubles: x), options: ForwardOptions(recordSelection: true))
      #expect(result.kPerQuery == k)
      // Layer 0's hidden states repeat wherever a token repeats (embedding + RMSNorm, no position
      // yet), so equal indexer keys give exact ties; the reference's top-k and ours may break them
      // differently. Every difference must be such a tie; the float32 output is compared on the
      // queries with identical S_t, the float64 output on all queries under the reference's S_t.
      let net = DifferentiableLayer(parameters: layer.parameters)
      let ours = Selection(sets: result.selected ?? [])
      let ties = TieReport(ours: ours, theirs: sets, scores: net.indexerScores(x, length: l), length: l)
      #expect(ties.nonTies.isEmpty, "layer \(n): differences that are not ties: \(ties.nonTies.prefix(5))")
      let same = (0..<l).filter { ours.sets[$0] == sets.sets[$0] }
      let d = layer.config.modelDim
      let error32 = ReferenceFixtures.relativeError(
        ReferenceFixtures.rows(result.output.storage.map(Double.init), same, width: d), ReferenceFixtures.rows(expected, same, width: d))
      let error64 = ReferenceFixtures.relativeError(net.forward(x, length: l, selection: sets).output, expected)
      print(
        "reference tiny-gsa-llama layer \(n): float32 relative error \(error32), float64 \(error64), queries with a tie at the k-th score \(ties.tiedQueries), differing queries \(ties.differingQueries), keys \(ties.differingKeys)"
      )
      // The reference ran this model in float32: both agree to its rounding.
      #expect(error32 <= 1e-5)
      #expect(error64 <= 1e-5)
    }
  }

  @Test("F16 and BF16 checkpoints read as the rounded F32 values, transposed", arguments: ["F16", "BF16"])
  func halfPrecision(dtype: String) throws {
    let directory = try temporaryDirectory("ckpt-\(dtype)")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try reencodedCheckpoint(dtype: dtype, into: directory)
    let half = try ReferenceCheckpoint(directory: directory).layer(1)
    let full = try ReferenceCheckpoint(directory: ReferenceFixtures.path("tiny-gsa-llama")).layer(1)
    let relative = dtype == "F16" ? 1.0 / 2048 : 1.0 / 256
    for (name, values) in full.tensors {
      let other = half.tensors[name]!
      #expect(other.count == values.count)
      for (a, b) in zip(values, other) { #expect(abs(a - b) <= relative * abs(a) + 1e-7, "\(name.rawValue)") }
    }
    // The transpose: w_q[r][c] = q_proj.weight[c][r].
    let raw = try SafetensorsFile(path: ReferenceFixtures.path("tiny-gsa-llama/model.safetensors"))
    let q = try raw.doubles("model.layers.1.self_attn.q_proj.weight")
    let cols = full.config.heads * full.config.headDim, rows = full.config.modelDim
    #expect(full.tensors[.wQ]![3 * cols + 5] == q[5 * rows + 3])
  }

  @Test("a missing tensor, a wrong shape or a config.json without a field: one line naming it")
  func errors() throws {
    func message(_ body: () throws -> Void) -> String {
      do { try body() } catch let error as SafetensorsError { return error.message } catch { return "other error \(error)" }
      return "no error"
    }
    let missing = try temporaryDirectory("ckpt-missing")
    defer { try? FileManager.default.removeItem(atPath: missing) }
    try reencodedCheckpoint(dtype: "F32", into: missing, drop: "model.layers.1.self_attn.indexer.bias")
    #expect(message { _ = try ReferenceCheckpoint(directory: missing).layer(0) } == "no error")
    let m1 = message { _ = try ReferenceCheckpoint(directory: missing).layer(1) }
    #expect(m1.contains("'model.layers.1.self_attn.indexer.bias' is missing") && !m1.contains("\n"))

    let shape = try temporaryDirectory("ckpt-shape")
    defer { try? FileManager.default.removeItem(atPath: shape) }
    try reencodedCheckpoint(dtype: "F32", into: shape, reshape: "model.layers.0.self_attn.k_proj.weight")
    let m2 = message { _ = try ReferenceCheckpoint(directory: shape).layer(0) }
    #expect(m2.contains("'model.layers.0.self_attn.k_proj.weight' has shape [8, 64], expected [16, 32]"))

    var scaled =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: ReferenceFixtures.path("tiny-gsa-llama/config.json")))) as! [String: Any]
    scaled["rope_scaling"] = ["type": "yarn", "factor": 4]
    #expect(message { _ = try ReferenceConfig(json: scaled, source: "config.json") }.contains("rope_scaling"))
    scaled["rope_scaling"] = NSNull()
    scaled["n_heads"] = 3
    #expect(message { _ = try ReferenceConfig(json: scaled, source: "config.json") }.contains("kvHeads"))

    for field in ReferenceConfig.requiredFields {
      var json =
        try JSONSerialization.jsonObject(
          with: Data(contentsOf: URL(fileURLWithPath: ReferenceFixtures.path("tiny-gsa-llama/config.json")))) as! [String: Any]
      json.removeValue(forKey: field)
      let m = message { _ = try ReferenceConfig(json: json, source: "config.json") }
      #expect(m.contains("field '\(field)' is missing") && !m.contains("\n"), "\(field): \(m)")
    }
  }

  @Test("a several-GB checkpoint (sparse filler tensor) costs one layer's bytes: inspect's peak RSS < 200 MB")
  func lazyLoading() throws {
    let directory = try temporaryDirectory("ckpt-sparse")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // Header: a 4 GiB F32 filler tensor first (never written: a hole), then layer 0's tensors.
    let source = try SafetensorsFile(path: ReferenceFixtures.path("tiny-gsa-llama/model.safetensors"))
    let names = source.names.filter { $0.hasPrefix("model.layers.0.self_attn.") }
    let fillerBytes = 1 << 32
    var entries = ["\"model.filler.weight\":{\"dtype\":\"F32\",\"shape\":[\(fillerBytes / 4)],\"data_offsets\":[0,\(fillerBytes)]}"]
    var payload: [UInt8] = []
    for name in names {
      let e = source.entries[name]!
      let begin = fillerBytes + payload.count
      let values = try source.doubles(name)
      for v in values { payload += withUnsafeBytes(of: Float(v).bitPattern.littleEndian, Array.init) }
      entries.append(
        "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(fillerBytes + payload.count)]}"
      )
    }
    var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
    while header.count % 8 != 0 { header.append(0x20) }
    let path = directory + "/model.safetensors"
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.write(contentsOf: withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header)
    try handle.seek(toOffset: UInt64(8 + header.count + fillerBytes))
    try handle.write(contentsOf: payload)
    try handle.close()
    var json =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: ReferenceFixtures.path("tiny-gsa-llama/config.json")))) as! [String: Any]
    json["n_layers"] = 1
    try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: directory + "/config.json"))
    var info = stat()
    #expect(stat(path, &info) == 0)
    let apparent = Int(info.st_size), allocated = Int(info.st_blocks) * 512
    #expect(apparent > 4_000_000_000)
    #expect(allocated < 16 << 20, "the filler must be a hole, not data on disk")

    let run = try ToolRunner.run(["inspect", "--checkpoint", directory, "--length", "16", "--format", "json"], deadline: 300)
    #expect(run.exitCode == 0, "\(run)")
    let object = try JSONSerialization.jsonObject(with: run.stdoutData) as! [String: Any]
    let peak = (object["peak_resident_bytes"] as? NSNumber)?.intValue ?? Int.max
    print("reference lazy load: file \(apparent) bytes (\(allocated) on disk), inspect peak RSS \(peak) bytes")
    #expect(peak < 200 << 20)
  }
}
