import Foundation
import GSAModel

/// A problem with a safetensors file, as one line naming the problem and the fix.
public struct SafetensorsError: Error, CustomStringConvertible, Sendable, Equatable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// Reading and writing the safetensors format (https://github.com/huggingface/safetensors):
/// an 8-byte little-endian header length N, N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`,
/// then the data section (offsets relative to its start, little-endian, row-major).
public enum Safetensors {
  public enum DType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    public var size: Int {
      switch self {
      case .f64: return 8
      case .f32: return 4
      case .f16, .bf16: return 2
      }
    }
  }

  public struct Tensor: Sendable, Equatable {
    public var dtype: DType
    public var shape: [Int]
    /// Values converted to float64.
    public var values: [Double]
    public init(dtype: DType, shape: [Int], values: [Double]) {
      self.dtype = dtype
      self.shape = shape
      self.values = values
    }
  }

  /// Parses a whole file held in memory, with `SafetensorsFile`'s header validation; every tensor
  /// must be floating-point and finite.
  public static func decode(_ data: Data, source: String = "weights file") throws(SafetensorsError) -> [String: Tensor] {
    let result: Result<[String: Tensor], SafetensorsError> = data.withUnsafeBytes { raw in
      do throws(SafetensorsError) {
        guard let base = raw.baseAddress, raw.count >= 8 else {
          throw SafetensorsError(
            "\(source): \(raw.count) bytes is too short for a safetensors file (needs an 8-byte header length)")
        }
        var tensors: [String: Tensor] = [:]
        for (name, entry) in try SafetensorsFile.parseHeader(base, fileSize: raw.count, source: source).0 {
          guard let dtype = DType(rawValue: entry.dtype.rawValue) else {
            throw SafetensorsError(
              "\(source): tensor '\(name)' has dtype \(entry.dtype.rawValue); supported: \(DType.allCases.map(\.rawValue).joined(separator: ", "))"
            )
          }
          tensors[name] = Tensor(
            dtype: dtype, shape: entry.shape, values: try SafetensorsFile.doubles(of: entry, in: base, source: source))
        }
        return .success(tensors)
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  /// Every tensor of an opened file, converted to float64 (all must be floating-point and finite).
  public static func tensors(in file: SafetensorsFile) throws(SafetensorsError) -> [String: Tensor] {
    var tensors: [String: Tensor] = [:]
    for name in file.names {
      let entry = try file.entry(name)
      guard let dtype = DType(rawValue: entry.dtype.rawValue) else {
        throw SafetensorsError(
          "\(file.path): tensor '\(name)' has dtype \(entry.dtype.rawValue); supported: \(DType.allCases.map(\.rawValue).joined(separator: ", "))"
        )
      }
      tensors[name] = Tensor(dtype: dtype, shape: entry.shape, values: try file.doubles(name))
    }
    return tensors
  }

  /// IEEE 754 binary16 → float64 (subnormals, infinities and NaN included).
  static func halfToDouble(_ h: UInt16) -> Double {
    let sign: Double = h & 0x8000 != 0 ? -1 : 1
    let exponent = Int((h >> 10) & 0x1F)
    let fraction = Double(h & 0x3FF)
    switch exponent {
    case 0: return sign * fraction * pow(2, -24)
    case 31: return fraction == 0 ? sign * .infinity : .nan
    default: return sign * (1 + fraction / 1024) * pow(2, Double(exponent - 15))
    }
  }

  /// float64 → binary16 bits (round to nearest even; for writing test fixtures).
  static func doubleToHalf(_ x: Double) -> UInt16 {
    let f = Float(x)
    let bits = f.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
    var mantissa = bits & 0x7FFFFF
    if exponent >= 31 { return sign | 0x7C00 }
    if exponent <= 0 {
      if exponent < -10 { return sign }
      mantissa |= 0x800000
      let shift = UInt32(14 - exponent)
      var half = mantissa >> shift
      let remainder = mantissa & ((1 << shift) - 1)
      let halfway = UInt32(1) << (shift - 1)
      if remainder > halfway || (remainder == halfway && half & 1 == 1) { half += 1 }
      return sign | UInt16(half)
    }
    var half = UInt32(exponent) << 10 | (mantissa >> 13)
    let remainder = mantissa & 0x1FFF
    if remainder > 0x1000 || (remainder == 0x1000 && half & 1 == 1) { half += 1 }
    return sign | UInt16(half)
  }

  /// Encodes tensors (sorted by name) as a safetensors file.
  public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> Data {
    var entries: [String] = []
    var payload = [UInt8]()
    if !metadata.isEmpty {
      let fields = metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
      entries.append("\"__metadata__\":{\(fields)}")
    }
    for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
      let begin = payload.count
      for value in tensor.values {
        let raw: UInt64
        switch tensor.dtype {
        case .f64: raw = value.bitPattern
        case .f32: raw = UInt64(Float(value).bitPattern)
        case .bf16: raw = UInt64(Float(value).bitPattern >> 16)
        case .f16: raw = UInt64(doubleToHalf(value))
        }
        for b in 0..<tensor.dtype.size { payload.append(UInt8((raw >> (8 * UInt64(b))) & 0xFF)) }
      }
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      entries.append(
        "\"\(name)\":{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(payload.count)]}")
    }
    var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
    while header.count % 8 != 0 { header.append(0x20) }
    var out = [UInt8]()
    let n = UInt64(header.count)
    for i in 0..<8 { out.append(UInt8((n >> (8 * UInt64(i))) & 0xFF)) }
    return Data(out + header + payload)
  }

  /// The layer parameters of `variant` under `config` from decoded tensors: every tensor the
  /// variant uses must be present with its documented shape (`LayerTensor`); tensors the
  /// variant does not use are rejected so that a file for another variant is not silently
  /// misread.
  public static func layerParameters(
    _ tensors: [String: Tensor], config: LayerConfig, variant: Variant, source: String = "weights file"
  ) throws(SafetensorsError) -> LayerParameters {
    let used = LayerTensor.used(by: variant, config: config)
    var result: [LayerTensor: [Double]] = [:]
    for name in used {
      guard let tensor = tensors[name.rawValue] else {
        throw SafetensorsError(
          "\(source): tensor '\(name.rawValue)' (shape \(name.shape(config))) is missing; variant \(variant.rawValue) needs \(used.map(\.rawValue).joined(separator: ", "))"
        )
      }
      // Biases may also be stored as 1 × n matrices (GSAModel.LayerWeights' convention).
      let accepted = name.isMatrix ? [name.shape(config)] : [name.shape(config), [1] + name.shape(config)]
      guard accepted.contains(tensor.shape) else {
        throw SafetensorsError(
          "\(source): tensor '\(name.rawValue)' has shape \(tensor.shape), expected \(name.shape(config)) for the configuration given; fix the file or the --dim/--heads/--kv-heads/--head-dim/--indexer-heads/--indexer-dim flags"
        )
      }
      result[name] = tensor.values
    }
    for name in tensors.keys.sorted() where !used.contains(where: { $0.rawValue == name }) {
      let known = LayerTensor(rawValue: name) != nil
      throw SafetensorsError(
        known
          ? "\(source): tensor '\(name)' is not used by variant \(variant.rawValue); choose the matching --variant or drop the tensor"
          : "\(source): unknown tensor '\(name)'; expected names: \(used.map(\.rawValue).joined(separator: ", "))")
    }
    return LayerParameters(config: config, variant: variant, tensors: result)
  }

  /// The tensors of `parameters` in `dtype` (for writing a layer's weights).
  public static func tensors(of parameters: LayerParameters, dtype: DType) -> [String: Tensor] {
    var out: [String: Tensor] = [:]
    for name in LayerTensor.used(by: parameters.variant, config: parameters.config) {
      out[name.rawValue] = Tensor(dtype: dtype, shape: name.shape(parameters.config), values: parameters[name])
    }
    return out
  }
}
