import Foundation
import GSAModel
import GSLKit

/// The theory's quantities of one layer's weights on one input (`gsa-theory inspect`), all in
/// float64 with the selection S_t of the layer's own k rule.
///
/// - Indexer: the range of I_{t,s} over the causal pairs against 0 < I < H_I (sigmoid indexer:
///   a sum of H_I products of two sigmoids) and the largest row variance (population variance
///   over the n_t = t + 1 candidates) against Popoviciu's H_I²/4.
/// - k_t under each rule (fixed, code, figure; GSA-THEORY.md §2.4) on these scores.
/// - Gates: mean of σ(h W^g + b) for G2 and G1 and the share saturated (below 0.05 or above 0.95).
/// - Selection margin: min over the queries that drop a candidate of the k_t-th minus the
///   (k_t + 1)-th score.
/// - Top-k recall of dense attention ("index accuracy" as this toolkit defines it; the paper leaves
///   it undefined): for query t and head h, Σ_{s ∈ S_t} A^dense_{t,s}, the share of the dense
///   causal softmax mass (z = q·k/√d_h after RoPE) that falls on S_t; its mean over (t, h), over
///   the (t, h) that drop a candidate, and its minimum.
/// - First-token attention share: the mean over t ≥ 1 and heads of A_{t,0}, dense and sparse.
/// - β and 1/β: `SmoothnessBound` at R = max_t ‖h_t‖, R_y = max_t ‖u_t‖ (the layer's own output
///   as the target scale) and the weights' own spectral norms.
/// - Λ: the BD-layer-lipschitz bound (S_t fixed) with GQA head slices, at R = max_t ‖h_t‖:
///   Λ = ‖W_O‖·Σ_h [‖W_V^g‖(1 + R‖W_{Vg}^g‖/4) + 4·B_h·‖W_Q^h‖‖W_K^g‖R/√d_h + B_h‖W_{Og}^h‖/4],
///   B_h = ‖W_V^g‖R, g = h·H_kv/H.
public struct LayerInspection: Sendable {
  public struct Distribution: Sendable, Hashable {
    public var min: Double, median: Double, mean: Double, max: Double
    init(_ values: [Double]) {
      let sorted = values.sorted()
      min = sorted.first ?? .nan
      max = sorted.last ?? .nan
      median = sorted.isEmpty ? .nan : sorted[sorted.count / 2]
      mean = sorted.isEmpty ? .nan : sorted.reduce(0, +) / Double(sorted.count)
    }
  }

  public struct GateStatistics: Sendable, Hashable {
    public var mean: Double
    /// Share of gate values below 0.05 or above 0.95.
    public var saturated: Double
  }

  public let length: Int
  public let indexerMin: Double, indexerMax: Double
  /// H_I for the sigmoid indexer (∞ for ReLU: unbounded).
  public let indexerUpperBound: Double
  public let maxRowVariance: Double
  /// H_I²/4 for the sigmoid indexer (∞ for ReLU).
  public let rowVarianceBound: Double
  public let kPerRule: [(rule: AdaptiveKRule, distribution: Distribution)]
  public let valueGate: GateStatistics?, outputGate: GateStatistics?
  public let selectionMargin: Double
  public let recallMean: Double, recallMeanWhereDropping: Double, recallMin: Double
  public let firstTokenShareDense: Double, firstTokenShareSparse: Double
  public let beta: Double
  public let lipschitz: Double

  public static let saturationLow = 0.05, saturationHigh = 0.95

  /// Inspects `layer` on `input` (L × D, row-major).
  public init(layer: ReferenceLayer, input x: [Double], length l: Int) throws(GSLError) {
    let c = layer.config, parameters = layer.parameters
    let net = DifferentiableLayer(parameters: parameters)
    let d = c.modelDim, h = c.heads, dh = c.headDim, group = c.heads / c.kvHeads
    length = l
    let scores = net.indexerScores(x, length: l)
    var low = Double.infinity, high = -Double.infinity, worstVariance = 0.0
    for t in 0..<l {
      let row = (0...t).map { scores[t * l + $0] }
      low = Swift.min(low, row.min()!)
      high = Swift.max(high, row.max()!)
      let mean = row.reduce(0, +) / Double(row.count)
      worstVariance = Swift.max(worstVariance, row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(row.count))
    }
    (indexerMin, indexerMax, maxRowVariance) = (low, high, worstVariance)
    let sigmoidIndexer = c.indexerActivation == .sigmoid
    indexerUpperBound = sigmoidIndexer ? Double(c.indexerHeads) : .infinity
    rowVarianceBound = sigmoidIndexer ? Double(c.indexerHeads * c.indexerHeads) / 4 : .infinity
    kPerRule = [AdaptiveKRule.fixed, .code, .figure].map { rule in
      (rule, Distribution(net.ruleSelection(x, length: l, rule: rule).kPerQuery.map(Double.init)))
    }
    let (selection, budgets) = net.ruleSelection(x, length: l)
    var margin = Double.infinity
    for t in 0..<l where budgets[t] <= t {
      let sorted = (0...t).map { scores[t * l + $0] }.sorted(by: >)
      margin = Swift.min(margin, sorted[budgets[t] - 1] - sorted[budgets[t]])
    }
    selectionMargin = margin
    let tape = net.forward(x, length: l, selection: selection)
    func gateStatistics(_ values: [Double]) -> GateStatistics? {
      guard !values.isEmpty else { return nil }
      let saturated = values.filter { $0 < Self.saturationLow || $0 > Self.saturationHigh }.count
      return GateStatistics(mean: values.reduce(0, +) / Double(values.count), saturated: Double(saturated) / Double(values.count))
    }
    valueGate = net.valueGated ? gateStatistics(tape.valueGate) : nil
    outputGate = net.outputGated ? gateStatistics(tape.outputGate) : nil
    // Dense causal softmax per (t, h) from the tape's Q and K (after RoPE).
    let scale = 1 / Double(dh).squareRoot()
    var recalls: [Double] = [], dropping: [Double] = [], firstDense: [Double] = [], firstSparse: [Double] = []
    for t in 0..<l {
      for head in 0..<h {
        let g = head / group
        var z = [Double](repeating: 0, count: t + 1)
        for s in 0...t {
          var dot = 0.0
          for i in 0..<dh { dot += tape.q[t * h * dh + head * dh + i] * tape.k[s * c.kvHeads * dh + g * dh + i] }
          z[s] = dot * scale
        }
        let top = z.max()!
        let e = z.map { Foundation.exp($0 - top) }
        let total = e.reduce(0, +)
        // Summed in S_t's ascending order (a Set's order varies between processes).
        let recall = selection.sets[t].reduce(0.0) { $0 + e[$1] } / total
        recalls.append(recall)
        if selection.sets[t].count <= t { dropping.append(recall) }
        if t >= 1 {
          firstDense.append(e[0] / total)
          let position = selection.sets[t].firstIndex(of: 0)
          firstSparse.append(position.map { tape.probabilities[head][t][$0] } ?? 0)
        }
      }
    }
    func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
    recallMean = mean(recalls)
    recallMeanWhereDropping = mean(dropping)
    recallMin = recalls.min() ?? .nan
    firstTokenShareDense = mean(firstDense)
    firstTokenShareSparse = mean(firstSparse)
    func rowNorms(_ m: [Double]) -> Double {
      (0..<l).map { t in (0..<d).reduce(0.0) { $0 + m[t * d + $1] * m[t * d + $1] }.squareRoot() }.max() ?? 0
    }
    let r = rowNorms(x)
    let bound = SmoothnessBound(
      config: c, variant: layer.variant, inputNorm: r, targetNorm: rowNorms(tape.output),
      norms: try WeightNormBounds.of(parameters))
    beta = bound.beta
    lipschitz = try Self.lipschitzBound(parameters, radius: r)
  }

  /// Λ of BD-layer-lipschitz with GQA head slices (see the type's documentation).
  static func lipschitzBound(_ p: LayerParameters, radius r: Double) throws(GSLError) -> Double {
    let c = p.config, d = c.modelDim, dh = c.headDim, group = c.heads / c.kvHeads
    func slice(_ m: [Double], width: Int, head: Int) throws(GSLError) -> Double {
      var columns = [Double]()
      columns.reserveCapacity(d * dh)
      for row in 0..<d { columns += m[(row * width + head * dh)..<(row * width + head * dh + dh)] }
      return try GSLLinearAlgebra.spectralNorm(of: columns, rows: d, cols: dh)
    }
    let gatedV = p.variant.isGated && c.valueGate, gatedO = p.variant.isGated && c.outputGate
    let qWidth = c.heads * dh, kvWidth = c.kvHeads * dh
    var total = 0.0
    for head in 0..<c.heads {
      let g = head / group
      let v = try slice(p[.wV], width: kvWidth, head: g)
      let b = v * r
      var term = v * (1 + (gatedV ? r * (try slice(p[.wGateV], width: kvWidth, head: g)) / 4 : 0))
      term +=
        4 * b * (try slice(p[.wQ], width: qWidth, head: head)) * (try slice(p[.wK], width: kvWidth, head: g)) * r
        / Double(dh).squareRoot()
      if gatedO { term += b * (try slice(p[.wGateO], width: qWidth, head: head)) / 4 }
      total += term
    }
    return total * (try GSLLinearAlgebra.spectralNorm(of: p[.wO], rows: qWidth, cols: d))
  }
}
