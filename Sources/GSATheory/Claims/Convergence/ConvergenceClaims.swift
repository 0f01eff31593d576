extension ClaimRegistry {
  /// The convergence claims, in report order (one file per claim in this folder).
  public static let convergenceClaims: [Claim] = [
    .cvSmoothness,
    .cvStepSize,
    .cvRate,
    .cvMaxStableLR,
    .cvSpikes,
    .cvSink,
    .cvSelectionDiscontinuity,
  ]
}
