import Foundation
import GSAModel
import GSLKit

/// Adam (Kingma & Ba) with the reference code's β = (0.9, 0.95), ε = 1e-8, constant step, no
/// weight decay, no warm-up, no clipping.
public struct Adam: Sendable {
  public var learningRate: Double
  public var beta1 = 0.9, beta2 = 0.95, epsilon = 1e-8
  var m: [Double], v: [Double]
  var step = 0

  public init(learningRate: Double, count: Int) {
    self.learningRate = learningRate
    m = [Double](repeating: 0, count: count)
    v = [Double](repeating: 0, count: count)
  }

  public mutating func update(_ theta: inout [Double], gradient g: [Double]) {
    step += 1
    let c1 = 1 - pow(beta1, Double(step)), c2 = 1 - pow(beta2, Double(step))
    for i in 0..<theta.count {
      m[i] = beta1 * m[i] + (1 - beta1) * g[i]
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
      theta[i] -= learningRate * (m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon)
    }
  }
}

/// Training-stability simulations of the four variants [code][3p] at small scale: a token
/// embedding E (trainable) feeding one attention layer, trained with Adam on synthetic tasks,
/// fresh minibatches from a seeded stream shared by all variants. **This is a small-scale
/// simulation, not the paper's 1.7B-parameter, 400B-token run.**
///
/// Definitions (stated in every output):
/// - ℒ_t: the loss on a fixed evaluation batch (the stream's first batch) before step t, so
///   minibatch sampling noise does not count as instability.
/// - *spike*: step t ≥ w with ℒ_t > κ · m_t and ℒ_t − m_t > 0.01·ℒ₀, m_t = median(ℒ_{t−w} …
///   ℒ_{t−1}) (w = `spikeWindow`, κ = `spikeFactor`); consecutive spike steps are one event; a
///   divergence that stops the run (ℒ non-finite or > `divergenceFactor`·ℒ₀) is one more event.
/// - *diverged*: a non-finite loss, a loss above `divergenceFactor` × ℒ₀, or a final loss
///   (mean of the last 10% of steps) above ℒ₀.
/// - *stable*: not diverged and no spike event. The maximum stable learning rate is found by
///   bisection in log η between `lrRange` (assuming stability is monotone in η).
/// - *S_t fixed within a step*: gradients hold the selection fixed; the indexer (no gradient
///   then) stays at its initialisation, but S_t still moves because its input, the embedding,
///   is trained.
public enum StabilitySimulation {
  public struct Settings: Sendable {
    public var config: LayerConfig
    public var vocabulary: Int
    public var length: Int
    public var batch: Int
    public var seeds: Int
    public var seed: UInt64
    public var bisectionSteps: Int
    public var bisectionIterations: Int
    public var lrRange: ClosedRange<Double>
    public var sharedLearningRate: Double
    public var spikeSteps: Int
    public var sinkSteps: Int
    public var sinkLearningRate: Double
    public var spikeWindow: Int
    public var spikeFactor: Double
    public var divergenceFactor: Double
    public var teacherGain: Double
    /// Share of non-BOS tokens that are "null" queries (target 0) in the sink task.
    public var nullFraction: Double
    public var variants: [Variant]

    /// The default `simulate stability` run (a few minutes on 2 cores, release build).
    public static let standard = Settings(
      config: LayerConfig(
        modelDim: 16, heads: 2, kvHeads: 2, headDim: 8, indexerHeads: 2, indexerDim: 8, kBase: 6, kMin: 1, kMax: 16),
      vocabulary: 32, length: 16, batch: 8, seeds: 3, seed: 42, bisectionSteps: 200, bisectionIterations: 6,
      lrRange: 1e-4...1, sharedLearningRate: 0.2, spikeSteps: 1000, sinkSteps: 600, sinkLearningRate: 3e-3, spikeWindow: 20,
      spikeFactor: 2, divergenceFactor: 10, teacherGain: 2, nullFraction: 0.25, variants: Variant.allCases)

    /// Tiny sizes for tests (fast in debug builds).
    public static let quick = Settings(
      config: LayerConfig(modelDim: 6, heads: 2, kvHeads: 1, headDim: 3, indexerHeads: 1, indexerDim: 3, kBase: 3, kMin: 1, kMax: 8),
      vocabulary: 8, length: 6, batch: 2, seeds: 2, seed: 7, bisectionSteps: 40, bisectionIterations: 3, lrRange: 1e-3...3,
      sharedLearningRate: 3e-2, spikeSteps: 120, sinkSteps: 120, sinkLearningRate: 1e-2, spikeWindow: 10, spikeFactor: 2,
      divergenceFactor: 10, teacherGain: 2, nullFraction: 0.25, variants: Variant.allCases)
  }

  /// A synthetic task: a seeded stream of token minibatches with regression targets.
  public enum Task: String, Sendable {
    /// Targets y = a fixed random dense teacher layer applied to a fixed random teacher embedding.
    case teacher
    /// Position 0 is BOS; "null" tokens must output 0; other queries output the mean of a fixed
    /// random code vector over the non-BOS tokens so far.
    case sink
  }

  /// Generates the task's minibatches; the same seed gives the same stream for every variant.
  struct TaskStream {
    let task: Task
    let s: Settings
    let rng: GSLRandom
    let teacher: DifferentiableLayer
    let teacherEmbedding: [Double]
    let codes: [Double]
    let nullTokens: Int

    init(task: Task, settings s: Settings, seed: UInt64) {
      self.task = task
      self.s = s
      let root = GSLRandom(seed: seed)
      let d = s.config.modelDim
      teacher = DifferentiableLayer(
        parameters: .random(config: s.config, variant: .dense, rng: root.split(), projectionGain: s.teacherGain))
      teacherEmbedding = root.gaussianMatrix(rows: s.vocabulary, cols: d, scale: 1 / Double(d).squareRoot())
      codes = root.gaussianMatrix(rows: s.vocabulary, cols: d, scale: 1 / Double(d).squareRoot())
      nullTokens = max(1, Int((Double(s.vocabulary - 1) * s.nullFraction).rounded()))
      rng = root.split()
    }

    /// Token 0 is BOS in the sink task; null tokens are 1...nullTokens.
    func isNull(_ token: Int) -> Bool { task == .sink && token >= 1 && token <= nullTokens }

    func next() -> (tokens: [[Int]], targets: [[Double]]) {
      let d = s.config.modelDim, l = s.length
      var tokens: [[Int]] = []
      var targets: [[Double]] = []
      for _ in 0..<s.batch {
        switch task {
        case .teacher:
          let seq = (0..<l).map { _ in rng.uniformInt(below: s.vocabulary) }
          var x = [Double](repeating: 0, count: l * d)
          for t in 0..<l { for e in 0..<d { x[t * d + e] = teacherEmbedding[seq[t] * d + e] } }
          tokens.append(seq)
          targets.append(teacher.forward(x, length: l).output)
        case .sink:
          let seq = [0] + (1..<l).map { _ in 1 + rng.uniformInt(below: s.vocabulary - 1) }
          var y = [Double](repeating: 0, count: l * d)
          var sum = [Double](repeating: 0, count: d)
          for t in 1..<l {
            for e in 0..<d { sum[e] += codes[seq[t] * d + e] }
            guard !isNull(seq[t]) else { continue }
            for e in 0..<d { y[t * d + e] = sum[e] / Double(t) }
          }
          tokens.append(seq)
          targets.append(y)
        }
      }
      return (tokens, targets)
    }
  }

  /// What one training run recorded.
  public struct RunTrace: Sendable {
    public let learningRate: Double
    /// ℒ on the fixed evaluation batch before each step.
    public let losses: [Double]
    public let diverged: Bool
    /// Starting steps of spike events.
    public let spikeEvents: [Int]
    /// max |u| over every layer output seen during training.
    public let maxActivation: Double
    /// Per step: share of (probe sequence, query) pairs whose S_t differs from the previous step.
    public let selectionChangeShare: [Double]
    /// Sink task only: attention share on position 0 for null queries and for all queries.
    public let firstTokenShareNull: Double
    public let firstTokenShareAll: Double
    public var stable: Bool { !diverged && spikeEvents.isEmpty }
    public var spikesPerThousand: Double { losses.isEmpty ? 0 : 1000 * Double(spikeEvents.count) / Double(losses.count) }
  }

  /// Spike events: steps t ≥ w with ℒ_t > κ·m_t and ℒ_t − m_t > `floor`·ℒ₀, m_t the median of
  /// the previous w losses (the floor ignores relative wiggles once the loss is near 0);
  /// consecutive spike steps merge into one event.
  public static func spikeEvents(_ losses: [Double], window w: Int, factor k: Double, floor: Double = 0.01) -> [Int] {
    var events: [Int] = []
    var previousWasSpike = false
    guard losses.count > w else { return [] }
    for t in w..<losses.count {
      let recent = losses[(t - w)..<t].sorted()
      let median = recent.count % 2 == 1 ? recent[recent.count / 2] : (recent[recent.count / 2 - 1] + recent[recent.count / 2]) / 2
      let spike = !losses[t].isFinite || (losses[t] > k * median && losses[t] - median > floor * losses[0])
      if spike && !previousWasSpike { events.append(t) }
      previousWasSpike = spike
    }
    return events
  }

  /// Diverged: non-finite, above factor × ℒ₀, or final-10% mean above ℒ₀.
  public static func diverged(_ losses: [Double], factor: Double) -> Bool {
    guard let first = losses.first else { return false }
    if losses.contains(where: { !$0.isFinite || $0 > factor * first }) { return true }
    let tail = losses.suffix(max(1, losses.count / 10))
    return tail.reduce(0, +) / Double(tail.count) > first
  }

  /// Trains `variant` with Adam at `lr` for `steps` on `task` (data stream seeded by `dataSeed`,
  /// model initialisation by `modelSeed`).
  public static func train(
    _ variant: Variant, task: Task, lr: Double, steps: Int, settings s: Settings, dataSeed: UInt64, modelSeed: UInt64
  ) -> RunTrace {
    let stream = TaskStream(task: task, settings: s, seed: dataSeed)
    let d = s.config.modelDim, l = s.length
    let modelRng = GSLRandom(seed: modelSeed)
    var embedding = modelRng.gaussianMatrix(rows: s.vocabulary, cols: d, scale: 1 / Double(d).squareRoot())
    var layer = DifferentiableLayer(parameters: .random(config: s.config, variant: variant, rng: modelRng.split()))
    let layerCount = layer.parameters.flattened().count
    var adam = Adam(learningRate: lr, count: embedding.count + layerCount)
    let (probe, probeTargets) = stream.next()
    func embed(_ seq: [Int]) -> [Double] {
      var x = [Double](repeating: 0, count: l * d)
      for t in 0..<l { for e in 0..<d { x[t * d + e] = embedding[seq[t] * d + e] } }
      return x
    }
    var losses: [Double] = []
    var maxActivation = 0.0
    var changes: [Double] = []
    var previousSelection: [Selection]? = nil
    for _ in 0..<steps {
      // ℒ on the fixed evaluation batch (no sampling noise) is what spikes and divergence use.
      let held = layer.evaluate(
        RegressionBatch(inputs: probe.map(embed), targets: probeTargets, length: l), wantGradient: false)
      if variant.isSparse {
        let current = held.selections
        if let previousSelection {
          let changed = zip(current, previousSelection).reduce(0) { $0 + $1.0.changedQueries(from: $1.1) }
          changes.append(Double(changed) / Double(probe.count * l))
        }
        previousSelection = current
      }
      losses.append(held.loss)
      for out in held.outputs { for value in out { maxActivation = max(maxActivation, abs(value)) } }
      guard held.loss.isFinite, held.loss <= s.divergenceFactor * losses[0] else { break }
      let (tokens, targets) = stream.next()
      let batch = RegressionBatch(inputs: tokens.map(embed), targets: targets, length: l)
      let evaluation = layer.evaluate(batch)
      for out in evaluation.outputs { for value in out { maxActivation = max(maxActivation, abs(value)) } }
      var gradient = [Double](repeating: 0, count: embedding.count)
      for (b, seq) in tokens.enumerated() {
        for t in 0..<l { for e in 0..<d { gradient[seq[t] * d + e] += evaluation.inputGradients[b][t * d + e] } }
      }
      gradient += layer.flatGradient(evaluation.gradients)
      var theta = embedding + layer.parameters.flattened()
      adam.update(&theta, gradient: gradient)
      embedding = Array(theta[0..<embedding.count])
      layer.parameters.setFlattened(Array(theta[embedding.count...]))
    }
    var shareNull = Double.nan, shareAll = Double.nan
    if task == .sink {
      var nullSum = 0.0, nullCount = 0.0, allSum = 0.0, allCount = 0.0
      for seq in probe {
        let tape = layer.forward(embed(seq), length: l)
        for t in 1..<l {
          for h in 0..<s.config.heads {
            let share = tape.selection.sets[t].first == 0 ? tape.probabilities[h][t][0] : 0
            allSum += share
            allCount += 1
            if stream.isNull(seq[t]) {
              nullSum += share
              nullCount += 1
            }
          }
        }
      }
      shareNull = nullCount > 0 ? nullSum / nullCount : .nan
      shareAll = allSum / max(allCount, 1)
    }
    let stoppedEarly = losses.count < steps
    let isDiverged = stoppedEarly || diverged(losses, factor: s.divergenceFactor)
    // A divergence that stopped the run counts as one more spike event (unless already one).
    var events = spikeEvents(losses, window: s.spikeWindow, factor: s.spikeFactor)
    if stoppedEarly, events.last != losses.count - 1 { events.append(losses.count - 1) }
    return RunTrace(
      learningRate: lr, losses: losses, diverged: isDiverged,
      spikeEvents: events, maxActivation: maxActivation,
      selectionChangeShare: changes, firstTokenShareNull: shareNull, firstTokenShareAll: shareAll)
  }

  /// The largest stable η by bisection in log η over `lrRange` (`bisectionIterations` halvings).
  /// Returns the bracket's stable end; `lrRange.lowerBound` unstable gives 0, upper stable gives it.
  public static func maxStableLearningRate(_ variant: Variant, settings s: Settings, dataSeed: UInt64, modelSeed: UInt64) -> Double {
    func stable(_ lr: Double) -> Bool {
      train(variant, task: .teacher, lr: lr, steps: s.bisectionSteps, settings: s, dataSeed: dataSeed, modelSeed: modelSeed).stable
    }
    var lo = s.lrRange.lowerBound, hi = s.lrRange.upperBound
    guard stable(lo) else { return 0 }
    if stable(hi) { return hi }
    for _ in 0..<s.bisectionIterations {
      let mid = (lo * hi).squareRoot()
      if stable(mid) { lo = mid } else { hi = mid }
    }
    return lo
  }

  /// One (variant, seed) cell of the experiment.
  public struct Cell: Sendable {
    public let variant: Variant
    public let seed: UInt64
    public let maxStableLR: Double
    public let spikesPerThousand: Double
    public let maxActivation: Double
    public let firstTokenShareNull: Double
    public let firstTokenShareAll: Double
    public let sinkFinalLoss: Double
    /// Mean share of queries whose S_t changed between consecutive steps (shared-lr run).
    public let selectionChangeRate: Double
    /// Share of steps with any S_t change.
    public let stepsWithSelectionChange: Double
    public let spikeEvents: Int
    /// Spike events whose step (or the one before) had an S_t change.
    public let spikesAtSelectionChange: Int
    /// Mean share of queries whose S_t changed going into a spike step (NaN without spikes);
    /// compare with `selectionChangeRate`: a larger value means spikes follow larger selection changes.
    public let selectionChangeAtSpikes: Double
    public let sharedRunDiverged: Bool
  }

  /// Mean, sample standard deviation, min and max.
  public struct Summary: Sendable {
    public let mean: Double, std: Double, min: Double, max: Double
    public init(_ xs: [Double]) {
      let v = xs.filter { !$0.isNaN }
      let n = Double(v.count)
      let m = v.isEmpty ? .nan : v.reduce(0, +) / n
      mean = m
      std = v.count < 2 ? 0 : (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)).squareRoot()
      min = v.min() ?? .nan
      max = v.max() ?? .nan
    }
  }

  public struct Result: Sendable {
    public let settings: Settings
    public let cells: [Cell]
    public func cells(_ v: Variant) -> [Cell] { cells.filter { $0.variant == v } }
    public func summary(_ v: Variant, _ metric: (Cell) -> Double) -> Summary { Summary(cells(v).map(metric)) }
  }

  /// The parts of the experiment (claims run only the part they need).
  public enum Part: String, Sendable, CaseIterable {
    /// (a) maximum stable learning rate by bisection.
    case maxStableLR
    /// (b), (c), (e): the shared-learning-rate run (spikes, activations, S_t changes).
    case shared
    /// (d): the attention-sink task.
    case sink
  }

  /// The (data, model) seed pairs of `settings`: seed i is shared by every variant.
  public static func seedPairs(_ s: Settings) -> [(data: UInt64, model: UInt64)] {
    let root = GSLRandom(seed: s.seed)
    return (0..<s.seeds).map { _ in (data: UInt64(root.nextRaw()), model: UInt64(root.nextRaw())) }
  }

  /// Runs every (variant, seed) cell, in parallel over all cores. Seeds: data stream and
  /// model initialisation of seed i are derived from `settings.seed` and shared by all variants.
  /// Metrics of parts not run are NaN.
  ///
  /// With a `shard`, only its cells: cell p of the order (variants outer, seeds inner) runs in
  /// shard p mod N, with the seeds it has in the whole run.
  public static func run(
    _ s: Settings, parts: Set<Part> = Set(Part.allCases), shard: Shard? = nil, progress: (@Sendable (Int, Int) -> Void)? = nil
  ) -> Result {
    let seeds = seedPairs(s)
    let all = s.variants.flatMap { v in seeds.indices.map { (v, $0) } }
    let jobs = shard?.select(all) ?? all
    let results = CellStore(count: jobs.count)
    DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
      let (variant, seedIndex) = jobs[index]
      let (dataSeed, modelSeed) = seeds[seedIndex]
      let maxLR =
        parts.contains(.maxStableLR) ? maxStableLearningRate(variant, settings: s, dataSeed: dataSeed, modelSeed: modelSeed) : .nan
      let shared =
        parts.contains(.shared)
        ? train(
          variant, task: .teacher, lr: s.sharedLearningRate, steps: s.spikeSteps, settings: s, dataSeed: dataSeed, modelSeed: modelSeed)
        : nil
      let sink =
        parts.contains(.sink)
        ? train(variant, task: .sink, lr: s.sinkLearningRate, steps: s.sinkSteps, settings: s, dataSeed: dataSeed, modelSeed: modelSeed)
        : nil
      let changes = shared?.selectionChangeShare ?? []
      // changes[i] compares the probe selection before step i+1 with that before step i; a spike
      // at step t coincides with a change when S_t changed going into step t or t − 1.
      let changedAt = { (t: Int) -> Bool in
        (t - 1 >= 0 && t - 1 < changes.count && changes[t - 1] > 0) || (t - 2 >= 0 && t - 2 < changes.count && changes[t - 2] > 0)
      }
      let events = shared?.spikeEvents ?? []
      let atSpikes = events.compactMap { t in t - 1 >= 0 && t - 1 < changes.count ? changes[t - 1] : nil }
      let sinkTail = sink.map { Array($0.losses.suffix(max(1, $0.losses.count / 10))) } ?? []
      results.set(
        index,
        Cell(
          variant: variant, seed: dataSeed, maxStableLR: maxLR, spikesPerThousand: shared?.spikesPerThousand ?? .nan,
          maxActivation: shared?.maxActivation ?? .nan, firstTokenShareNull: sink?.firstTokenShareNull ?? .nan,
          firstTokenShareAll: sink?.firstTokenShareAll ?? .nan,
          sinkFinalLoss: sinkTail.isEmpty ? .nan : sinkTail.reduce(0, +) / Double(sinkTail.count),
          selectionChangeRate: shared == nil ? .nan : (changes.isEmpty ? 0 : changes.reduce(0, +) / Double(changes.count)),
          stepsWithSelectionChange: shared == nil
            ? .nan : (changes.isEmpty ? 0 : Double(changes.filter { $0 > 0 }.count) / Double(changes.count)),
          spikeEvents: events.count, spikesAtSelectionChange: events.filter(changedAt).count,
          selectionChangeAtSpikes: atSpikes.isEmpty ? .nan : atSpikes.reduce(0, +) / Double(atSpikes.count),
          sharedRunDiverged: shared?.diverged ?? false))
      progress?(results.done, jobs.count)
    }
    return Result(settings: s, cells: results.cells)
  }
}

/// Thread-safe result slots for `concurrentPerform`.
final class CellStore: @unchecked Sendable {
  private let lock = NSLock()
  private var slots: [StabilitySimulation.Cell?]
  private var finished = 0
  init(count: Int) { slots = Array(repeating: nil, count: count) }
  func set(_ i: Int, _ cell: StabilitySimulation.Cell) {
    lock.withLock {
      slots[i] = cell
      finished += 1
    }
  }
  var done: Int { lock.withLock { finished } }
  var cells: [StabilitySimulation.Cell] { lock.withLock { slots.compactMap { $0 } } }
}
