extension ClaimRegistry {
  /// The bounds claims, in report order (one file per claim in this folder).
  public static let boundsClaims: [Claim] = [
    .bdIndexerRange,
    .bdIndexerVariance,
    .bdGateSlope,
    .bdGateContraction,
    .bdLayerLipschitz,
    .bdSelectionContinuity,
  ]
}
