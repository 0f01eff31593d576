import GSAModel
import GSLKit
import Testing

@testable import GSATheory

@Suite("Training cost estimates and budgets")
struct TrainingCostTests {
  /// The default `check-convergence` run (the defaults of its flags).
  static let defaultConvergence = ConvergenceCheck.Settings(
    config: LayerConfig(modelDim: 8, heads: 2, kvHeads: 1, headDim: 4, indexerHeads: 2, indexerDim: 4, kBase: 4, kMin: 1, kMax: 4),
    variant: .gsa)

  @Test("the default runs fit their budgets, which are about 20× their estimates")
  func defaultRunsFit() {
    let convergence = TrainingCost.convergenceCheck(Self.defaultConvergence)
    let stability = TrainingCost.stabilitySimulation(.standard)
    for (estimate, budget) in [
      (convergence, TrainingCost.convergenceCheckBudget), (stability, TrainingCost.stabilitySimulationBudget),
    ] {
      #expect(budget / estimate > 15 && budget / estimate < 25, "budget/estimate = \(budget / estimate)")
    }
    for variant in Variant.allCases {
      var s = Self.defaultConvergence
      s.variant = variant
      #expect(TrainingCost.convergenceCheck(s) <= TrainingCost.convergenceCheckBudget, "\(variant)")
    }
    #expect(TrainingCost.stabilitySimulation(.quick) < stability)
    #expect(
      TrainingCost.refusal("x", estimate: convergence, budget: TrainingCost.convergenceCheckBudget, drivers: "--a", override: "--b")
        == nil)
  }

  @Test("every estimate grows strictly with each size it depends on")
  func estimatesGrow() {
    let base = Self.defaultConvergence
    let edits: [(String, (inout ConvergenceCheck.Settings) -> Void)] = [
      ("length", { $0.length *= 2 }), ("sequences", { $0.sequences *= 2 }), ("steps", { $0.steps *= 2 }),
      ("dim", { $0.config.modelDim *= 2 }), ("heads", { $0.config.heads *= 2 }), ("kv heads", { $0.config.kvHeads *= 2 }),
      ("head dim", { $0.config.headDim *= 2 }), ("indexer heads", { $0.config.indexerHeads *= 2 }),
      ("indexer dim", { $0.config.indexerDim *= 2 }), ("k", { $0.config.kBase = 8 }),
    ]
    for (name, edit) in edits {
      var bigger = base
      edit(&bigger)
      #expect(TrainingCost.convergenceCheck(bigger) > TrainingCost.convergenceCheck(base), "\(name)")
    }
    // The step loop dominates: doubling T less than doubles the total (fixed costs), but nearly.
    var twice = base
    twice.steps *= 2
    let ratio = TrainingCost.convergenceCheck(twice) / TrainingCost.convergenceCheck(base)
    #expect(ratio > 1.8 && ratio < 2)
    // Quadratic in L for the dense variant once L dominates.
    var dense = base
    dense.variant = .dense
    dense.length = 4096
    var denser = dense
    denser.length = 8192
    let lengthRatio = TrainingCost.convergenceCheck(denser) / TrainingCost.convergenceCheck(dense)
    #expect(lengthRatio > 3.5 && lengthRatio <= 4.01)

    let standard = StabilitySimulation.Settings.standard
    let stabilityEdits: [(String, (inout StabilitySimulation.Settings) -> Void)] = [
      ("seeds", { $0.seeds += 1 }), ("spike steps", { $0.spikeSteps += 1 }), ("bisection steps", { $0.bisectionSteps += 1 }),
      ("bisection iterations", { $0.bisectionIterations += 1 }), ("sink steps", { $0.sinkSteps += 1 }),
      ("length", { $0.length += 1 }), ("batch", { $0.batch += 1 }),
    ]
    for (name, edit) in stabilityEdits {
      var bigger = standard
      edit(&bigger)
      #expect(TrainingCost.stabilitySimulation(bigger) > TrainingCost.stabilitySimulation(standard), "\(name)")
    }
  }

  @Test("the attended-pair count equals the sizes of the S_t the layer builds")
  func attendedPairsMatchTheLayer() {
    let rng = GSLRandom(seed: 11)
    for variant in Variant.allCases {
      for length in [1, 5, 12] {
        for k in [1, 3, 20] {
          let config = LayerConfig(
            modelDim: 4, heads: 2, kvHeads: 1, headDim: 2, indexerHeads: 1, indexerDim: 2, kBase: k, kMin: 1, kMax: k)
          let layer = DifferentiableLayer(parameters: .random(config: config, variant: variant, rng: rng.split()))
          let x = rng.gaussianMatrix(rows: length, cols: config.modelDim, scale: 1)
          let counted = layer.selection(x, length: length).sets.reduce(0) { $0 + $1.count }
          #expect(TrainingCost.attendedPairs(config, variant: variant, length: length) == Double(counted), "\(variant) L \(length) k \(k)")
        }
      }
    }
  }

  @Test("a huge request is refused with a one-line message naming the drivers and the override")
  func hugeRequestRefused() throws {
    var s = Self.defaultConvergence
    s.length = 4096
    s.sequences = 4096
    let message = try #require(
      TrainingCost.refusal(
        "check-convergence", estimate: TrainingCost.convergenceCheck(s), budget: TrainingCost.convergenceCheckBudget,
        drivers: "--length or --sequences", override: "--allow-long-run"))
    #expect(message.hasPrefix("check-convergence: "))
    #expect(message.contains("--length or --sequences") && message.contains("--allow-long-run"))
    #expect(!message.contains("\n"))
    // Non-finite estimates are refused too (never silently allowed).
    #expect(TrainingCost.refusal("x", estimate: .infinity, budget: 1, drivers: "--a", override: "--b") != nil)
    #expect(TrainingCost.refusal("x", estimate: .nan, budget: 1, drivers: "--a", override: "--b") != nil)
  }
}
