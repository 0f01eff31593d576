import Testing

@testable import GSAModel

@Suite struct ConfigTests {
  @Test func presetsAreValid() throws {
    for name in LayerConfig.presetNames {
      let config = try #require(LayerConfig.preset(named: name))
      #expect(try config.validated() == config)
    }
    #expect(LayerConfig.preset(named: "nope") == nil)
    let p = LayerConfig.paper
    #expect(p.modelDim == 4096 && p.heads == 32 && p.kvHeads == 8 && p.headDim == 128)
    #expect(p.indexerHeads == 4 && p.indexerDim == 64 && p.kBase == 2048 && p.kMin == 256 && p.kMax == 4096)
    let s = LayerConfig.paperShape
    #expect(s.modelDim / (s.indexerDim * s.indexerHeads) == 16)
  }

  @Test func invalidFieldsAreNamed() {
    func field(_ mutate: (inout LayerConfig) -> Void) -> String? {
      var c = LayerConfig.tiny
      mutate(&c)
      do {
        _ = try c.validated()
        return nil
      } catch { return error.field }
    }
    #expect(field { $0.modelDim = 0 } == "modelDim")
    #expect(
      field {
        $0.heads = 3; $0.kvHeads = 2
      } == "kvHeads")
    #expect(field { $0.kvHeads = -1 } == "kvHeads")
    #expect(field { $0.headDim = 0 } == "headDim")
    #expect(field { $0.headDim = 7 } == nil)
    #expect(field { $0.kMin = 0 } == "kMin")
    #expect(field { $0.kBase = 1 } == "kBase")
    #expect(field { $0.kMax = 3 } == "kBase")
    #expect(field { $0.codeRuleTemperature = .nan } == "codeRuleTemperature")
    #expect(field { $0.ropeBase = .infinity } == "ropeBase")
    #expect(field { $0.indexerDim = 1 << 20 } == "indexerDim")
    #expect(field { _ in } == nil)
    #expect(throws: ConfigError.self) { try LayerConfig.tiny.validate(length: 0) }
    let message = ConfigError(field: "kBase", message: "x").description
    #expect(message.contains("kBase"))
  }

  @Test func variantConfiguration() {
    let base = LayerConfig.small
    #expect(!base.configured(for: .dense).valueGate && !base.configured(for: .dense).outputGate)
    let sparse = base.configured(for: .sparseOnly)
    #expect(sparse.indexerActivation == .relu && !sparse.valueGate && !sparse.outputGate)
    let gated = base.configured(for: .gatedOnly)
    #expect(gated.valueGate && gated.outputGate)
    var relu = base
    relu.indexerActivation = .relu
    let gsa = relu.configured(for: .gsa)
    #expect(gsa.indexerActivation == .sigmoid && gsa.valueGate && gsa.outputGate)
  }

  @Test func weightsShapesAndLoading() throws {
    let c = LayerConfig.tiny
    let w = LayerWeights(config: c, seed: 7)
    let shapes = LayerWeights.shapes(for: c)
    for name in LayerWeights.tensorNames {
      let t = try #require(w.tensor(named: name))
      #expect(t.rows == shapes[name]!.rows && t.cols == shapes[name]!.cols)
    }
    #expect(w.bGateV.storage.allSatisfy { $0 == 0.5 } && w.bGateO.storage.allSatisfy { $0 == 0.5 })
    #expect(w.bIW.storage.allSatisfy { $0 == 0 } && w.bI.storage.allSatisfy { $0 == 0 })
    // Xavier-uniform bounds: gain·√(6/(in + out)).
    let bound = Float(0.1 * (6.0 / Double(c.modelDim + c.kvHeads * c.headDim)).squareRoot())
    #expect(w.wGateV.storage.allSatisfy { abs($0) <= bound })
    #expect(w == LayerWeights(config: c, seed: 7))
    #expect(w != LayerWeights(config: c, seed: 8))
    let rebuilt = try LayerWeights(config: c, tensors: w.tensors)
    #expect(rebuilt == w)
    var bad = w.tensors
    bad["w_q"] = Matrix(rows: 3, cols: 3)
    #expect(throws: ShapeError.self) { try LayerWeights(config: c, tensors: bad) }
    #expect(throws: ShapeError.self) { try LayerWeights(config: c, tensors: ["w_zz": Matrix(rows: 1, cols: 1)]) }
    #expect(throws: ShapeError.self) { try Matrix(rows: 2, cols: 2, storage: [1, 2, 3]) }
  }
}
