import Foundation

/// A property's failure after shrinking: thrown by `forAll`, so Swift Testing reports it with
/// the seed needed to replay it.
public struct PropertyFailure: Error, CustomStringConvertible {
  public let property: String
  /// The smallest failing value the shrinker found, described.
  public let minimal: String
  /// The failing value as first generated, described.
  public let original: String
  /// Why the minimal value fails (a false result or the error it threw).
  public let reason: String
  /// Seed of the failing case: `GSA_PBT_SEED=<caseSeed>` replays it as case 0.
  public let caseSeed: UInt64
  public let caseIndex: Int
  public let shrinkSteps: Int

  public var description: String {
    """
    Property '\(property)' failed at case \(caseIndex) (seed 0x\(String(caseSeed, radix: 16))).
      minimal counterexample (after \(shrinkSteps) shrink steps): \(minimal)
      original counterexample: \(original)
      reason: \(reason)
      replay: GSA_PBT_SEED=0x\(String(caseSeed, radix: 16)) swift test --filter <test name>
    """
  }
}

/// The outcome of running a property without throwing (used to test the harness itself).
public enum PropertyOutcome<Value> {
  case passed(cases: Int, discarded: Int)
  /// The property failed; `minimal` is the shrunk counterexample itself.
  case failed(PropertyFailure, minimal: Value)
  /// Too many generated cases were discarded by filters to reach the requested count.
  case gaveUp(cases: Int, discarded: Int)
}

/// Settings of a property run. Deterministic by default: the master seed comes from the
/// property's name unless `GSA_PBT_SEED` is set, in which case case 0 uses exactly that seed.
public struct PropertyConfiguration: Sendable {
  public var cases: Int
  public var maxDiscards: Int
  public var maxShrinkEvaluations: Int
  public var masterSeed: UInt64?

  public init(cases: Int = 100, maxDiscards: Int = 1000, maxShrinkEvaluations: Int = 2000, masterSeed: UInt64? = nil) {
    self.cases = cases
    self.maxDiscards = maxDiscards
    self.maxShrinkEvaluations = maxShrinkEvaluations
    self.masterSeed = masterSeed
  }

  /// `GSA_PBT_SEED` (decimal or 0x-hex), if set.
  public static var environmentSeed: UInt64? {
    guard let raw = ProcessInfo.processInfo.environment["GSA_PBT_SEED"]?.lowercased() else { return nil }
    return raw.hasPrefix("0x") ? UInt64(raw.dropFirst(2), radix: 16) : UInt64(raw)
  }

  func resolvedSeed(for property: String) -> UInt64 {
    if let seed = Self.environmentSeed { return seed }
    if let masterSeed { return masterSeed }
    // FNV-1a of the name: each property gets its own fixed cases.
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in property.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return hash
  }
}

/// Checks `property` on `configuration.cases` generated values; on failure shrinks the case
/// and throws a `PropertyFailure` naming the minimal counterexample and the replay seed.
/// The property fails by returning false or by throwing.
public func forAll<Value>(
  _ generator: Gen<Value>, name: String = #function, configuration: PropertyConfiguration = .init(),
  _ property: (Value) throws -> Bool
) throws {
  switch checkProperty(name, generator, configuration: configuration, property) {
  case .passed: return
  case .failed(let failure, _):
    FileHandle.standardError.write(Data((failure.description + "\n").utf8))
    throw failure
  case .gaveUp(let cases, let discarded):
    throw PropertyGaveUp(property: name, cases: cases, discarded: discarded)
  }
}

/// Too many discards: the generator's filter is too strict for the requested case count.
public struct PropertyGaveUp: Error, CustomStringConvertible {
  public let property: String
  public let cases: Int
  public let discarded: Int
  public var description: String {
    "Property '\(property)' gave up after \(discarded) discarded cases (\(cases) passed); loosen the filter or generate valid values directly"
  }
}

/// Runs a property and returns its outcome instead of throwing.
public func checkProperty<Value>(
  _ name: String, _ generator: Gen<Value>, configuration: PropertyConfiguration = .init(), _ property: (Value) throws -> Bool
) -> PropertyOutcome<Value> {
  let master = configuration.resolvedSeed(for: name)
  var passed = 0
  var discarded = 0
  var index = 0
  while passed < configuration.cases {
    let seed = SplitMix64.caseSeed(master: master, index: index)
    var stream = ChoiceStream(seed: seed)
    index += 1
    guard let value = try? generator.generate(&stream) else {
      discarded += 1
      if discarded > configuration.maxDiscards { return .gaveUp(cases: passed, discarded: discarded) }
      continue
    }
    if let reason = failureReason(property, value) {
      let shrunk = shrink(
        generator, choices: stream.recorded, value: value, reason: reason, budget: configuration.maxShrinkEvaluations, property)
      let failure = PropertyFailure(
        property: name, minimal: String(describing: shrunk.value), original: String(describing: value), reason: shrunk.reason,
        caseSeed: seed, caseIndex: index - 1, shrinkSteps: shrunk.steps)
      return .failed(failure, minimal: shrunk.value)
    }
    passed += 1
  }
  return .passed(cases: passed, discarded: discarded)
}

/// nil when the property holds for `value`, else why it fails.
private func failureReason<Value>(_ property: (Value) throws -> Bool, _ value: Value) -> String? {
  do {
    return try property(value) ? nil : "property returned false"
  } catch {
    return "threw \(error)"
  }
}

/// Greedy shrinking of a failing choice sequence: delete blocks of choices, then lower each
/// choice (to 0, else by binary search), keeping any change after which the property still
/// fails; repeat until nothing improves or the evaluation budget is spent.
///
/// Properties: the result always fails the property; it is never larger than the input in
/// the shortlex order of choice sequences.
private func shrink<Value>(
  _ generator: Gen<Value>, choices: [UInt64], value: Value, reason: String, budget: Int, _ property: (Value) throws -> Bool
) -> (value: Value, reason: String, steps: Int) {
  var best = (choices: choices, value: value, reason: reason)
  var evaluations = 0
  var steps = 0

  /// Replays `candidate`; adopts it when it still fails and is simpler.
  func attempt(_ candidate: [UInt64]) -> Bool {
    guard evaluations < budget else { return false }
    evaluations += 1
    var stream = ChoiceStream(replaying: candidate)
    guard let value = try? generator.generate(&stream) else { return false }
    let used = stream.recorded
    guard isSimpler(used, than: best.choices), let reason = failureReason(property, value) else { return false }
    best = (used, value, reason)
    steps += 1
    return true
  }

  var improved = true
  while improved && evaluations < budget {
    improved = false
    for blockSize in [8, 4, 2, 1] {
      var start = best.choices.count - blockSize
      while start >= 0 {
        var candidate = best.choices
        candidate.removeSubrange(start..<min(start + blockSize, candidate.count))
        if attempt(candidate) { improved = true }
        start -= 1
      }
    }
    var i = 0
    while i < best.choices.count {
      let current = best.choices[i]
      if current > 0 {
        var candidate = best.choices
        candidate[i] = 0
        if attempt(candidate) {
          improved = true
        } else {
          // Binary search for the smallest value at position i that still fails.
          var low: UInt64 = 0
          var high = current
          while low + 1 < high && evaluations < budget {
            let middle = low + (high - low) / 2
            var probe = best.choices
            guard i < probe.count else { break }
            probe[i] = middle
            if attempt(probe) { high = middle; improved = true } else { low = middle }
          }
        }
      }
      i += 1
    }
  }
  return (best.value, best.reason, steps)
}

/// Shortlex order: fewer choices first, then lexicographically smaller.
private func isSimpler(_ a: [UInt64], than b: [UInt64]) -> Bool {
  if a.count != b.count { return a.count < b.count }
  for (x, y) in zip(a, b) where x != y { return x < y }
  return false
}
