extension ClaimRegistry {
  /// The complexity claims, in report order (one file per claim in this folder).
  public static let complexityClaims: [Claim] = [
  ]
}
