/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, high-quality, seedable generator used to
/// derive per-case seeds and fill choice streams. Deterministic on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The seed of case `index` of a property run with `master` seed.
  public static func caseSeed(master: UInt64, index: Int) -> UInt64 {
    if index == 0 { return master }
    var mixer = SplitMix64(seed: master ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03))
    return mixer.next()
  }
}

/// The sequence of raw choices a generator consumes (Hypothesis-style "choice sequence").
///
/// Generating draws fresh values from a seeded SplitMix64 and records them; replaying reads a
/// given (possibly shrunk) sequence, with 0 past its end. Because every generator, including
/// mapped, flat-mapped and filtered ones, is a function of this sequence, shrinking the
/// sequence shrinks any value without per-type shrinkers: smaller choices mean simpler values.
public struct ChoiceStream {
  private var source: SplitMix64?
  private let prefix: [UInt64]
  private var position = 0
  /// The choices actually used, each already reduced below its bound.
  public private(set) var recorded: [UInt64] = []

  /// A stream that generates fresh choices from `seed`.
  public init(seed: UInt64) {
    source = SplitMix64(seed: seed)
    prefix = []
  }

  /// A stream that replays `choices` (then zeros).
  public init(replaying choices: [UInt64]) {
    source = nil
    prefix = choices
  }

  /// A choice in 0..<bound (bound 0 means the full 64-bit range).
  public mutating func draw(below bound: UInt64) -> UInt64 {
    let raw: UInt64
    if position < prefix.count {
      raw = prefix[position]
    } else if var generator = source {
      raw = generator.next()
      source = generator
    } else {
      raw = 0
    }
    position += 1
    let value = bound == 0 ? raw : raw % bound
    recorded.append(value)
    return value
  }

  /// A uniform double in [0, 1) with 53 random bits (0 is the simplest value).
  public mutating func unitInterval() -> Double {
    Double(draw(below: 1 << 53)) / Double(1 << 53)
  }
}

/// Thrown by a generator when `filter` exhausted its retries.
public struct GenerationDiscarded: Error {}
