import PropertyTesting
import Testing

@testable import GSAModel
@testable import GSATheory

/// `TrafficModel`: the closed forms against brute-force sums and the probes' own selections.
@Suite struct TrafficModelTests {
  private struct Shape: CustomStringConvertible {
    var length, block, k, heads, kvHeads, dim: Int
    var description: String { "L \(length) block \(block) k \(k) H \(heads) H_kv \(kvHeads) d \(dim)" }
  }

  private static var shapes: Gen<Shape> {
    Gen { (stream: inout ChoiceStream) throws(GenerationDiscarded) in
      let length = try Gen.logUniform(in: 1...5000).generate(&stream)
      let block = try Gen.int(in: 1...64).generate(&stream)
      let k = try Gen.logUniform(in: 1...600).generate(&stream)
      let kvHeads = try Gen.int(in: 1...4).generate(&stream)
      let group = try Gen.int(in: 1...4).generate(&stream)
      let dim = try Gen.int(in: 1...80).generate(&stream)
      return Shape(length: length, block: block, k: k, heads: kvHeads * group, kvHeads: kvHeads, dim: dim)
    }
  }

  /// Σ over blocks of the keys the block's last query sees, and Σ_t min(k, t + 1), by loops.
  @Test func closedFormsMatchLoops() throws {
    try forAll(Self.shapes) { (s: Shape) in
      var keys = 0
      for start in stride(from: 0, to: s.length, by: s.block) { keys += min(start + s.block, s.length) }
      var selected = 0
      for t in 0..<s.length { selected += min(s.k, t + 1) }
      return TrafficModel.causalKeysPerBlock(length: s.length, block: s.block) == Double(keys)
        && TrafficModel.selectedPairs(length: s.length, k: s.k) == Double(selected)
    }
  }

  /// The gathered bytes equal the rows the probe's own random selections gather (Σ counts ·
  /// H_kv · d · 4 B · 2), an independent count.
  @Test(arguments: [(300, 16), (1000, 256), (64, 100)])
  func gatherBytesMatchTheProbeSelections(length: Int, k: Int) {
    let selection = KernelProbe.randomSelection(length: length, k: k, seed: 5)
    let rowBytes = Double(3 * 40 * MemoryLayout<Float>.size * 2)
    #expect(
      TrafficModel.gatherBytes(length: length, k: k, kvHeads: 3, headDim: 40)
        == Double(selection.totalSelected) * rowBytes)
  }

  /// Compulsory traffic never exceeds the no-reuse traffic, for every kernel and shape.
  @Test func compulsoryTrafficIsTheLowerBound() throws {
    try forAll(Self.shapes) { (s: Shape) in
      let bounds = [
        TrafficModel.denseCore(length: s.length, heads: s.heads, kvHeads: s.kvHeads, headDim: s.dim, rowGroup: s.block),
        TrafficModel.indexer(length: s.length, heads: s.heads, dim: s.dim, queryBlock: s.block, k: s.k, select: false),
        TrafficModel.indexer(length: s.length, heads: s.heads, dim: s.dim, queryBlock: s.block, k: s.k, select: true),
        TrafficModel.sparseCore(length: s.length, heads: s.heads, kvHeads: s.kvHeads, headDim: s.dim, k: s.k),
      ]
      return bounds.allSatisfy { $0.compulsory > 0 && $0.compulsory <= $0.noReuse }
    }
  }
}
