import Dispatch
import Foundation
import GSLKit

/// Every claim of the paper as an executable check, in report order.
///
/// Each claim is one value in one file, `Claims/<Group>/<ID>.swift`; each group lists its
/// claims in `Claims/<Group>/<Group>Claims.swift`. Adding a claim is adding its file and one
/// line in its group's list.
public enum ClaimRegistry {
  /// All claims, grouped in `ClaimGroup` order.
  public static var all: [Claim] {
    complexityClaims + boundsClaims + adaptiveKClaims + expressivenessClaims + numericsClaims + headlineClaims
      + convergenceClaims
  }

  /// The claim with this id (case-insensitive).
  public static func claim(id: String) -> Claim? {
    all.first { $0.id.lowercased() == id.lowercased() }
  }

  /// Why a selector matched nothing: the selector and the closest valid id or group.
  public struct UnknownSelector: Error, Sendable, CustomStringConvertible {
    public let selector: String
    public let closest: String
    public var description: String { "unknown claim id or group '\(selector)' (closest: '\(closest)')" }
  }

  /// The claims named by `selectors` (ids or group names, case-insensitive), each once, in
  /// registry order; all claims when `selectors` is empty.
  public static func select(_ selectors: [String]) throws(UnknownSelector) -> [Claim] {
    let claims = all
    guard !selectors.isEmpty else { return claims }
    var chosen = Set<String>()
    for selector in selectors {
      let key = selector.lowercased()
      if let group = ClaimGroup.allCases.first(where: { $0.rawValue == key }) {
        for claim in claims where claim.group == group { chosen.insert(claim.id) }
      } else if let claim = claims.first(where: { $0.id.lowercased() == key }) {
        chosen.insert(claim.id)
      } else {
        let names = claims.map(\.id) + ClaimGroup.allCases.map(\.rawValue)
        let closest = names.min { editDistance(key, $0.lowercased()) < editDistance(key, $1.lowercased()) } ?? ""
        throw UnknownSelector(selector: selector, closest: closest)
      }
    }
    return claims.filter { chosen.contains($0.id) }
  }

  /// One claim's run: its seed and its outcome, or why the check could not run.
  public struct Run: Sendable {
    public let claim: Claim
    public let seed: UInt64
    public let result: Result<ClaimOutcome, RunError>
  }

  /// A check that threw: it could not run.
  public struct RunError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
  }

  /// Runs `claims` on all cores; results in the order given. Each claim's seed is
  /// `ClaimContext.claimSeed(root:id:)`, so a claim's verdict does not depend on which
  /// other claims run with it.
  public static func run(
    _ claims: [Claim], rootSeed: UInt64, quick: Bool = false, progress: (@Sendable (String) -> Void)? = nil
  )
    -> [Run]
  {
    let box = RunBox(count: claims.count)
    DispatchQueue.concurrentPerform(iterations: claims.count) { index in
      let claim = claims[index]
      let seed = ClaimContext.claimSeed(root: rootSeed, id: claim.id)
      let result: Result<ClaimOutcome, RunError>
      do {
        result = .success(try claim.check(ClaimContext(seed: seed, quick: quick)))
      } catch let failure as GSLError {
        // A numerical method failed (non-convergent integral, singular fit, bad tolerance):
        // the claim is undecided, not the run broken (docs/reliability.md).
        result = .success(.inconclusive(numericalFailure: failure))
      } catch {
        result = .failure(RunError(message: "\(claim.id): \(error)"))
      }
      box.set(index, Run(claim: claim, seed: seed, result: result))
      progress?(claim.id)
    }
    return box.values()
  }
}

/// Thread-safe slots for concurrent results.
private final class RunBox: @unchecked Sendable {
  private let lock = NSLock()
  private var slots: [ClaimRegistry.Run?]
  init(count: Int) { slots = Array(repeating: nil, count: count) }
  func set(_ index: Int, _ run: ClaimRegistry.Run) { lock.withLock { slots[index] = run } }
  func values() -> [ClaimRegistry.Run] { lock.withLock { slots.map { $0! } } }
}
