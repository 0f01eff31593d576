extension ClaimRegistry {
  /// The numerics claims, in report order (one file per claim in this folder).
  public static let numericsClaims: [Claim] = [
    .nmGateMeanInit,
    .nmIndexerMomentsInit,
    .nmIndexerScale,
    .nmSpectralInit,
  ]
}
