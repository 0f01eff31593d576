import Foundation
import GSAModel
import GSLKit
import Testing

@testable import GSATheory

@Suite("safetensors reader (fixtures generated here, none committed)")
struct SafetensorsTests {
  let config = LayerConfig(modelDim: 4, heads: 2, kvHeads: 1, headDim: 2, indexerHeads: 2, indexerDim: 2, kBase: 2, kMin: 1, kMax: 8)

  @Test("round trip in every dtype, within the dtype's precision", arguments: Safetensors.DType.allCases)
  func roundTrip(dtype: Safetensors.DType) throws {
    let parameters = LayerParameters.random(config: config, variant: .gsa, rng: GSLRandom(seed: 3))
    let data = Safetensors.encode(Safetensors.tensors(of: parameters, dtype: dtype), metadata: ["format": "pt"])
    let decoded = try Safetensors.decode(data)
    let back = try Safetensors.layerParameters(decoded, config: config, variant: .gsa)
    let tolerance: Double = [.f64: 0, .f32: 1e-7, .f16: 1e-3, .bf16: 8e-3][dtype]!
    for name in LayerTensor.used(by: .gsa, config: config) {
      for (a, b) in zip(parameters[name], back[name]) { #expect(abs(a - b) <= tolerance * max(abs(a), 1e-2)) }
    }
  }

  @Test("half-precision conversion: exact values, subnormals, infinity")
  func halves() {
    #expect(Safetensors.halfToDouble(0x3C00) == 1)
    #expect(Safetensors.halfToDouble(0xC000) == -2)
    #expect(Safetensors.halfToDouble(0x0001) == pow(2, -24))
    #expect(Safetensors.halfToDouble(0x7C00) == .infinity)
    #expect(Safetensors.doubleToHalf(65504) == 0x7BFF)
    #expect(Safetensors.doubleToHalf(pow(2, -24)) == 0x0001)
  }

  @Test("malformed files give one-line errors naming the problem")
  func errors() throws {
    let parameters = LayerParameters.random(config: config, variant: .dense, rng: GSLRandom(seed: 4))
    var tensors = Safetensors.tensors(of: parameters, dtype: .f32)
    let good = Safetensors.encode(tensors)
    func message(_ body: () throws -> Void) -> String {
      do { try body() } catch let error as SafetensorsError { return error.message } catch { return "other error" }
      return ""
    }
    #expect(message { _ = try Safetensors.decode(Data([1, 2, 3])) }.contains("too short"))
    #expect(message { _ = try Safetensors.decode(good.prefix(good.count - 4)) }.contains("truncated"))
    var badLength = good
    badLength[0] = 0xFF
    badLength[1] = 0xFF
    #expect(message { _ = try Safetensors.decode(badLength) }.contains("exceeds the file size"))
    let decoded = try Safetensors.decode(good)
    #expect(message { _ = try Safetensors.layerParameters(decoded, config: config, variant: .gsa) }.contains("'w_gate_v'"))
    var wrongShape = config
    wrongShape.modelDim = 5
    #expect(message { _ = try Safetensors.layerParameters(decoded, config: wrongShape, variant: .dense) }.contains("expected [5, 4]"))
    tensors["extra"] = Safetensors.Tensor(dtype: .f32, shape: [1], values: [0])
    let extra = try Safetensors.decode(Safetensors.encode(tensors))
    #expect(message { _ = try Safetensors.layerParameters(extra, config: config, variant: .dense) }.contains("unknown tensor 'extra'"))
    // An unsupported dtype in a hand-written header.
    let header = Array("{\"w_q\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}".utf8)
    var bytes = [UInt8](repeating: 0, count: 8)
    bytes[0] = UInt8(header.count)
    let file = Data(bytes + header + [0])
    #expect(message { _ = try Safetensors.decode(file) }.contains("dtype I8"))
  }
}
