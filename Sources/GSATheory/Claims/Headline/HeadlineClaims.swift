extension ClaimRegistry {
  /// The headline claims, in report order (one file per claim in this folder).
  public static let headlineClaims: [Claim] = [
    .hlAbstract,
    .hlStabilityNumbers,
  ]
}
