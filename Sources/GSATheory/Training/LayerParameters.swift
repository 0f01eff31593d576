import GSAModel
import GSLKit

/// The tensors of one attention layer, by their documented (safetensors) names.
///
/// Shapes (row-major, `x·W` convention: a token row times the matrix), with D = `modelDim`,
/// H = `heads`, H_kv = `kvHeads`, d_h = `headDim`, H_I = `indexerHeads`, d_I = `indexerDim`:
///
/// | name       | shape           | role                                                   |
/// |------------|-----------------|--------------------------------------------------------|
/// | `w_q`      | [D, H·d_h]      | Q = h W_Q (head h: columns h·d_h ..< (h+1)·d_h)        |
/// | `w_k`      | [D, H_kv·d_h]   | K = h W_K                                              |
/// | `w_v`      | [D, H_kv·d_h]   | V = h W_V                                              |
/// | `w_o`      | [H·d_h, D]      | u = Concat_h(O^g_h) W_O                                |
/// | `w_gate_v` | [D, H_kv·d_h]   | G2: V' = V ⊙ σ(h W_V^g + b_V^g) (element-wise)         |
/// | `b_gate_v` | [H_kv·d_h]      | (biases may also be [1, n], as `GSAModel.LayerWeights`) |
/// | `w_gate_o` | [D, H·d_h]      | G1: O^g = O ⊙ σ(h W_O^g + b_O) (element-wise)          |
/// | `b_gate_o` | [H·d_h]         |                                                        |
/// | `w_iq`     | [D, H_I·d_I]    | indexer queries q^I_{t,j}                              |
/// | `w_ik`     | [D, d_I]        | indexer key k^I_s (shared by all indexer heads)        |
/// | `w_iw`     | [D, H_I]        | indexer head weights w_{t,j} = σ(h W^{Iw} + c)         |
/// | `b_iw`     | [H_I]           | c                                                      |
/// | `b_i`      | [H_I]           | b_j inside σ(q·k + b_j) (GSA) or ReLU(q·k + b_j)       |
public enum LayerTensor: String, CaseIterable, Sendable, Hashable {
  case wQ = "w_q", wK = "w_k", wV = "w_v", wO = "w_o"
  case wGateV = "w_gate_v", bGateV = "b_gate_v", wGateO = "w_gate_o", bGateO = "b_gate_o"
  case wIQ = "w_iq", wIK = "w_ik", wIW = "w_iw", bIW = "b_iw", bI = "b_i"

  /// The documented shape under `config`.
  public func shape(_ c: LayerConfig) -> [Int] {
    let d = c.modelDim
    let hd = c.heads * c.headDim
    let kvd = c.kvHeads * c.headDim
    switch self {
    case .wQ: return [d, hd]
    case .wK, .wV, .wGateV: return [d, kvd]
    case .wO: return [hd, d]
    case .bGateV: return [kvd]
    case .wGateO: return [d, hd]
    case .bGateO: return [hd]
    case .wIQ: return [d, c.indexerHeads * c.indexerDim]
    case .wIK: return [d, c.indexerDim]
    case .wIW: return [d, c.indexerHeads]
    case .bIW, .bI: return [c.indexerHeads]
    }
  }

  public func count(_ c: LayerConfig) -> Int { shape(c).reduce(1, *) }

  /// Matrices (two dimensions) have a spectral norm; biases do not.
  public var isMatrix: Bool {
    switch self {
    case .bGateV, .bGateO, .bIW, .bI: return false
    default: return true
    }
  }

  public var isIndexer: Bool { [.wIQ, .wIK, .wIW, .bIW, .bI].contains(self) }

  /// The tensors `variant` uses under `config`, in documentation order.
  public static func used(by variant: Variant, config: LayerConfig) -> [LayerTensor] {
    var result: [LayerTensor] = [.wQ, .wK, .wV, .wO]
    if variant.isGated && config.valueGate { result += [.wGateV, .bGateV] }
    if variant.isGated && config.outputGate { result += [.wGateO, .bGateO] }
    if variant.isSparse { result += [.wIQ, .wIK, .wIW, .bIW, .bI] }
    return result
  }

  /// The tensors that receive a gradient when the selection S_t is held fixed: everything but
  /// the indexer (top-k is piecewise constant in the indexer weights, so with S_t fixed the
  /// loss does not depend on them at all).
  public static func trainable(by variant: Variant, config: LayerConfig) -> [LayerTensor] {
    used(by: variant, config: config).filter { !$0.isIndexer }
  }
}

/// The weights of one layer (float64), keyed by `LayerTensor`.
public struct LayerParameters: Sendable, Equatable {
  public var config: LayerConfig
  public var variant: Variant
  public var tensors: [LayerTensor: [Double]]

  /// Builds parameters from arrays; every tensor `variant` uses must be present with its
  /// documented element count.
  public init(config: LayerConfig, variant: Variant, tensors: [LayerTensor: [Double]]) {
    for name in LayerTensor.used(by: variant, config: config) {
      precondition(tensors[name]?.count == name.count(config), "tensor \(name.rawValue) needs \(name.count(config)) values")
    }
    self.config = config
    self.variant = variant
    self.tensors = tensors
  }

  public subscript(_ name: LayerTensor) -> [Double] {
    get { tensors[name] ?? [] }
    set { tensors[name] = newValue }
  }

  /// The reference code's initialisation [code]: Q/K/V/O Xavier-uniform (gain 1), gate
  /// weights Xavier-uniform gain 0.1 with bias 0.5 (σ(0.5) ≈ 0.622), indexer q/k gain 1,
  /// indexer head-weight projection gain 0.1, biases 0. `projectionGain` scales Q/K/V/O
  /// (the teacher of a synthetic task uses a larger gain to make the task non-trivial).
  public static func random(
    config c: LayerConfig, variant: Variant, rng: GSLRandom, projectionGain: Double = 1
  ) -> LayerParameters {
    var t: [LayerTensor: [Double]] = [:]
    for name in LayerTensor.used(by: variant, config: c) {
      let shape = name.shape(c)
      switch name {
      case .wQ, .wK, .wV, .wO:
        t[name] = rng.xavierUniformMatrix(fanIn: shape[0], fanOut: shape[1], gain: projectionGain)
      case .wGateV, .wGateO, .wIW:
        t[name] = rng.xavierUniformMatrix(fanIn: shape[0], fanOut: shape[1], gain: 0.1)
      case .bGateV, .bGateO:
        t[name] = [Double](repeating: 0.5, count: shape[0])
      case .wIQ, .wIK:
        t[name] = rng.xavierUniformMatrix(fanIn: shape[0], fanOut: shape[1], gain: 1)
      case .bIW, .bI:
        t[name] = [Double](repeating: 0, count: shape[0])
      }
    }
    return LayerParameters(config: c, variant: variant, tensors: t)
  }

  /// The tensors that receive gradients (S_t fixed), in order.
  public var trainable: [LayerTensor] { LayerTensor.trainable(by: variant, config: config) }

  /// The trainable tensors concatenated in `trainable` order (the parameter vector θ).
  public func flattened() -> [Double] { trainable.flatMap { self[$0] } }

  /// Replaces the trainable tensors from a vector laid out as `flattened()`.
  public mutating func setFlattened(_ theta: [Double]) {
    var offset = 0
    for name in trainable {
      let n = name.count(config)
      tensors[name] = Array(theta[offset..<(offset + n)])
      offset += n
    }
    precondition(offset == theta.count, "parameter vector has \(theta.count) values, layer needs \(offset)")
  }

  /// ‖W‖₂ (largest singular value, GSL SVD) of every matrix the variant uses.
  public func spectralNorms() throws(GSLError) -> [LayerTensor: Double] {
    var norms: [LayerTensor: Double] = [:]
    for name in LayerTensor.used(by: variant, config: config) where name.isMatrix {
      let shape = name.shape(config)
      norms[name] = try GSLLinearAlgebra.spectralNorm(of: self[name], rows: shape[0], cols: shape[1])
    }
    return norms
  }
}

extension LayerParameters {
  /// The float64 copy of `GSAModel.LayerWeights` (same names and `in × out` layout; biases
  /// stored as 1 × n there) for the tensors `variant` uses.
  public init(weights: LayerWeights, variant: Variant) {
    var t: [LayerTensor: [Double]] = [:]
    for name in LayerTensor.used(by: variant, config: weights.config) {
      t[name] = weights.tensor(named: name.rawValue)!.doubles
    }
    self.init(config: weights.config, variant: variant, tensors: t)
  }
}

/// Flattened gradients keyed like the parameters.
public typealias LayerGradients = [LayerTensor: [Double]]
