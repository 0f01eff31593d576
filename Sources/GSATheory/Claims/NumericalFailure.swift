import GSLKit

extension ClaimOutcome {
  /// The outcome of a check whose numerical method failed in GSL (an integral that does not
  /// converge, a singular fit, a rejected tolerance): verdict `inconclusive`, with GSL's
  /// routine, status and reason as the why. `ClaimRegistry.run` maps every `GSLError` a check
  /// throws to this, so a GSL failure never aborts `gsa-theory check` nor counts as a crash.
  public static func inconclusive(numericalFailure error: GSLError) -> ClaimOutcome {
    ClaimOutcome(
      verdict: .inconclusive,
      summary: "inconclusive: the numerical method failed (\(error.description)); the claim could not be decided by this check.",
      evidence: [EvidenceItem("GSL status", Double(error.status))])
  }
}
