extension ClaimRegistry {
  /// The adaptiveK claims, in report order (one file per claim in this folder).
  public static let adaptiveKClaims: [Claim] = [
    .akDirection,
    .akRange,
    .akMaskedVariance,
  ]
}
