import GSLKit

/// The parameters of one attention layer, every weight stored `in × out` (x·W; the transpose of
/// PyTorch's `nn.Linear.weight`), biases as `1 × n` matrices.
///
/// Tensor names and shapes (D model width, H, H_kv, d_h, H_I, d_I as in `LayerConfig`):
///
/// | name       | shape            | role                                             | seeded init            |
/// |------------|------------------|--------------------------------------------------|------------------------|
/// | `w_q`      | D × H·d_h        | query projection                                 | Xavier-uniform, gain 1 |
/// | `w_k`      | D × H_kv·d_h     | key projection                                   | Xavier-uniform, gain 1 |
/// | `w_v`      | D × H_kv·d_h     | value projection                                 | Xavier-uniform, gain 1 |
/// | `w_o`      | H·d_h × D        | output projection                                | Xavier-uniform, gain 1 |
/// | `w_gate_v` | D × H_kv·d_h     | G2 value gate (element-wise, per kv head) [code] | Xavier-uniform, gain 0.1 |
/// | `b_gate_v` | 1 × H_kv·d_h     | G2 bias                                          | 0.5                    |
/// | `w_gate_o` | D × H·d_h        | G1 output gate (element-wise, per head)          | Xavier-uniform, gain 0.1 |
/// | `b_gate_o` | 1 × H·d_h        | G1 bias                                          | 0.5                    |
/// | `w_iq`     | D × H_I·d_I      | indexer queries (head j = columns j·d_I..<(j+1)·d_I) | Xavier-uniform, gain 1 |
/// | `w_ik`     | D × d_I          | indexer key (shared by all indexer heads)        | Xavier-uniform, gain 1 |
/// | `w_iw`     | D × H_I          | indexer head weights w_{t,j} = σ(h_t W^{Iw}_j + c_j) | Xavier-uniform, gain 0.1 |
/// | `b_iw`     | 1 × H_I          | c_j                                              | 0                      |
/// | `b_i`      | 1 × H_I          | b_j, inside the indexer activation               | 0                      |
///
/// The initialisation follows the reference code [code] (gate weights Xavier gain 0.1, gate bias
/// 0.5, indexer q/k Xavier gain 1, indexer weight projection gain 0.1 with zero bias, zero b_j);
/// for Q/K/V/O, which [code] leaves to the host model, Xavier-uniform with gain 1 is our choice.
/// Xavier fan-in/fan-out are (in, out), as torch's for the transposed matrix (the bound is symmetric).
/// Seeded init draws every tensor, in the table's order, from one `GSLRandom(seed:)` (mt19937),
/// whatever the variant, so all variants built from one seed share their Q/K/V/O weights.
public struct LayerWeights: Sendable, Hashable {
  public let config: LayerConfig
  public var wQ, wK, wV, wO: Matrix
  public var wGateV, bGateV, wGateO, bGateO: Matrix
  public var wIQ, wIK, wIW, bIW, bI: Matrix

  /// The tensor names in canonical order.
  public static let tensorNames = [
    "w_q", "w_k", "w_v", "w_o", "w_gate_v", "b_gate_v", "w_gate_o", "b_gate_o", "w_iq", "w_ik", "w_iw", "b_iw", "b_i",
  ]

  /// (rows, cols) of each named tensor for `config`.
  public static func shapes(for c: LayerConfig) -> [String: (rows: Int, cols: Int)] {
    let q = c.heads * c.headDim
    let kv = c.kvHeads * c.headDim
    return [
      "w_q": (c.modelDim, q), "w_k": (c.modelDim, kv), "w_v": (c.modelDim, kv), "w_o": (q, c.modelDim),
      "w_gate_v": (c.modelDim, kv), "b_gate_v": (1, kv), "w_gate_o": (c.modelDim, q), "b_gate_o": (1, q),
      "w_iq": (c.modelDim, c.indexerHeads * c.indexerDim), "w_ik": (c.modelDim, c.indexerDim),
      "w_iw": (c.modelDim, c.indexerHeads), "b_iw": (1, c.indexerHeads), "b_i": (1, c.indexerHeads),
    ]
  }

  /// Seeded initialisation (see the type's documentation). The config must be valid.
  public init(config: LayerConfig, seed: UInt64) {
    self.config = config
    let rng = GSLRandom(seed: seed)
    let shapes = Self.shapes(for: config)
    func xavier(_ name: String, gain: Double) -> Matrix {
      let (r, c) = shapes[name]!
      return try! Matrix(rows: r, cols: c, doubles: rng.xavierUniformMatrix(fanIn: r, fanOut: c, gain: gain))
    }
    func constant(_ name: String, _ value: Float) -> Matrix {
      let (r, c) = shapes[name]!
      return Matrix(rows: r, cols: c, repeating: value)
    }
    wQ = xavier("w_q", gain: 1)
    wK = xavier("w_k", gain: 1)
    wV = xavier("w_v", gain: 1)
    wO = xavier("w_o", gain: 1)
    wGateV = xavier("w_gate_v", gain: 0.1)
    bGateV = constant("b_gate_v", 0.5)
    wGateO = xavier("w_gate_o", gain: 0.1)
    bGateO = constant("b_gate_o", 0.5)
    wIQ = xavier("w_iq", gain: 1)
    wIK = xavier("w_ik", gain: 1)
    wIW = xavier("w_iw", gain: 0.1)
    bIW = constant("b_iw", 0)
    bI = constant("b_i", 0)
  }

  /// Builds the weights from named tensors (e.g. loaded from safetensors), checking every shape.
  /// Tensors a variant does not use may be omitted; they are then zero (gate biases 0.5 are *not*
  /// implied: pass them when the gates are on).
  public init(config: LayerConfig, tensors: [String: Matrix]) throws(ShapeError) {
    self.config = config
    let shapes = Self.shapes(for: config)
    for name in tensors.keys where shapes[name] == nil {
      throw ShapeError("unknown tensor '\(name)'; expected one of \(Self.tensorNames.joined(separator: ", "))")
    }
    func take(_ name: String) throws(ShapeError) -> Matrix {
      let (r, c) = shapes[name]!
      guard let m = tensors[name] else { return Matrix(rows: r, cols: c) }
      guard m.rows == r, m.cols == c else {
        throw ShapeError(
          "tensor '\(name)' has shape \(m.rows)×\(m.cols), expected \(r)×\(c) (in × out; transpose torch Linear weights)")
      }
      return m
    }
    wQ = try take("w_q")
    wK = try take("w_k")
    wV = try take("w_v")
    wO = try take("w_o")
    wGateV = try take("w_gate_v")
    bGateV = try take("b_gate_v")
    wGateO = try take("w_gate_o")
    bGateO = try take("b_gate_o")
    wIQ = try take("w_iq")
    wIK = try take("w_ik")
    wIW = try take("w_iw")
    bIW = try take("b_iw")
    bI = try take("b_i")
  }

  /// The tensor with that name.
  public func tensor(named name: String) -> Matrix? {
    switch name {
    case "w_q": wQ
    case "w_k": wK
    case "w_v": wV
    case "w_o": wO
    case "w_gate_v": wGateV
    case "b_gate_v": bGateV
    case "w_gate_o": wGateO
    case "b_gate_o": bGateO
    case "w_iq": wIQ
    case "w_ik": wIK
    case "w_iw": wIW
    case "b_iw": bIW
    case "b_i": bI
    default: nil
    }
  }

  /// All tensors by name.
  public var tensors: [String: Matrix] {
    Dictionary(uniqueKeysWithValues: Self.tensorNames.map { ($0, tensor(named: $0)!) })
  }
}
