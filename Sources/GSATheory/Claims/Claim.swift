import Foundation
import GSLKit

/// Where a claim comes from (GSA-THEORY.md: every claim carries one or more source tags).
///
/// A verdict on a [rec] statement is a verdict on the reconstruction, not on the paper.
public enum ClaimSource: String, Sendable, Hashable, CaseIterable, Codable {
  /// The paper's architecture figure.
  case figure = "fig"
  /// The paper's abstract.
  case abstract = "abs"
  /// The reference code (alfredcs/Gated-Sparse-Attention) and its README tables.
  case code
  /// Third-party readings of the full paper.
  case thirdParty = "3p"
  /// A reconstruction: the standard argument such a theorem would make.
  case reconstruction = "rec"

  /// "[fig]", "[abs]", ...
  public var tag: String { "[\(rawValue)]" }
}

/// The groups `gsa-theory check GROUP` selects.
public enum ClaimGroup: String, Sendable, Hashable, CaseIterable, Codable {
  case complexity
  case bounds
  case adaptiveK = "adaptive-k"
  case expressiveness
  case numerics
  case headline
  case convergence
}

/// The finding of a check about the paper's claim.
public enum Verdict: String, Sendable, Hashable, CaseIterable, Codable {
  /// The computation agrees with the claim as stated (under the stated convention).
  case holds
  /// The computation contradicts the claim; the outcome carries the counterexample/numbers.
  case refuted
  /// The claim is right only after a correction; the outcome carries the corrected statement.
  case holdsWithCorrection = "holds-with-correction"
  /// The claim cannot be decided by computation here; the summary says why.
  case inconclusive
}

/// One named number of a check's evidence, with its unit ("" for a pure number).
public struct EvidenceItem: Sendable, Hashable {
  public var name: String
  public var value: Double
  public var unit: String

  public init(_ name: String, _ value: Double, unit: String = "") {
    self.name = name
    self.value = value
    self.unit = unit
  }
}

/// What a check found: the verdict, a one-paragraph summary, and the numbers behind it.
public struct ClaimOutcome: Sendable, Hashable {
  public var verdict: Verdict
  /// One or two sentences; states the numbers that decide the verdict.
  public var summary: String
  /// For `holdsWithCorrection`: the statement that does hold.
  public var correctedStatement: String?
  /// For `refuted`: the concrete counterexample (input, numbers).
  public var counterexample: String?
  /// Ordered evidence: the computed numbers, each named, with units.
  public var evidence: [EvidenceItem]
  /// For a claim about a number measured at the paper's scale, which the check can only probe at
  /// its own small scale: the verdict the small-scale computation gives (the claim's verdict is
  /// then `inconclusive`); nil for every other claim.
  public var smallScaleVerdict: Verdict?
  /// Wall-clock measurements on this machine (step times, bandwidths, the roofline's ridge): evidence
  /// no verdict depends on, and the one part of an outcome that the seed does not fix. Reports keep
  /// them apart from `evidence` (JSON `measurements`); quick runs take none.
  public var measurements: [EvidenceItem] = []

  public init(
    verdict: Verdict, summary: String, correctedStatement: String? = nil, counterexample: String? = nil,
    evidence: [EvidenceItem], smallScaleVerdict: Verdict? = nil
  ) {
    self.verdict = verdict
    self.summary = summary
    self.correctedStatement = correctedStatement
    self.counterexample = counterexample
    self.evidence = evidence
    self.smallScaleVerdict = smallScaleVerdict
  }

  /// "Inconclusive at this scale": the outcome of a claim about a number from the paper's own run
  /// (`reason` says why the check's scale cannot reproduce it), with the small-scale `probe`'s
  /// verdict, summary and evidence kept as evidence. The probe's correction or counterexample is
  /// dropped: it describes the small model, not the claim.
  public static func inconclusiveAtThisScale(_ probe: ClaimOutcome, reason: String) -> ClaimOutcome {
    ClaimOutcome(
      verdict: .inconclusive,
      summary: "inconclusive at this scale: \(reason) At this scale the check finds '\(probe.verdict.rawValue)': \(probe.summary)",
      evidence: probe.evidence, smallScaleVerdict: probe.verdict)
  }

  /// The value of the evidence item called `name` (nil if absent). For tests and reports.
  public func value(_ name: String) -> Double? { evidence.first { $0.name == name }?.value }
}

/// The settings a check runs with.
public struct ClaimContext: Sendable, Hashable {
  /// The claim's own seed: every random draw of the check derives from it.
  public var seed: UInt64
  /// Quick scale: smaller sweeps and fewer samples (tests in debug builds); the verdicts on
  /// the paper's configuration must not depend on it.
  public var quick: Bool

  public init(seed: UInt64, quick: Bool = false) {
    self.seed = seed
    self.quick = quick
  }

  /// A fresh mt19937 generator for the check's `stream`-th independent random source
  /// (GSLRandom is not thread-safe: one per task).
  public func random(_ stream: UInt64 = 0) -> GSLRandom { GSLRandom(seed: ClaimContext.mix(seed, stream)) }

  /// `full` normally, `quick` at quick scale.
  public func scaled<T>(full: T, quick quickValue: T) -> T { quick ? quickValue : full }

  /// The seed a claim gets from the run's root seed: SplitMix64 of the root seed and the
  /// FNV-1a hash of the claim id, so adding or removing claims never changes another's seed.
  public static func claimSeed(root: UInt64, id: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in id.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return mix(root, hash)
  }

  /// SplitMix64 finaliser of a ⊕ (b + golden ratio).
  static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var z = a ^ (b &+ 0x9e37_79b9_7f4a_7c15)
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return (z ^ (z >> 31)) & 0x7fff_ffff_ffff_ffff
  }
}

/// One claim of the paper as an executable check.
public struct Claim: Sendable {
  /// Stable id such as "CX-cost" (see docs/claims.md).
  public let id: String
  public let group: ClaimGroup
  /// The claim as the paper (or its source) states it.
  public let statement: String
  public let sources: [ClaimSource]
  /// The convention and assumptions the check uses (accounting, configuration, what is held fixed).
  public let assumptions: String
  /// What the check can establish at the scale it runs, in one sentence: "exact at any size" for
  /// counted costs and algebra, a mathematical statement probed on small layers, a mechanism shown
  /// on a small model, or a number from the paper's own run that the check cannot reproduce (such
  /// a claim's verdict is `inconclusive` at this scale, with the small-scale result as evidence).
  public let scope: String
  /// Runs the check. Throws only when the check could not run (a GSL failure, bad input);
  /// a refuted claim is a finding, not an error.
  public let check: @Sendable (ClaimContext) throws -> ClaimOutcome

  public init(
    id: String, group: ClaimGroup, statement: String, sources: [ClaimSource], assumptions: String, scope: String,
    check: @escaping @Sendable (ClaimContext) throws -> ClaimOutcome
  ) {
    self.id = id
    self.group = group
    self.statement = statement
    self.sources = sources
    self.assumptions = assumptions
    self.scope = scope
    self.check = check
  }

  /// "[fig][code]".
  public var sourceTags: String { sources.map(\.tag).joined() }
}
