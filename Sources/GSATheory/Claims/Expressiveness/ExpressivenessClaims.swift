extension ClaimRegistry {
  /// The expressiveness claims, in report order (one file per claim in this folder).
  public static let expressivenessClaims: [Claim] = [
    .exDenseLimit,
    .exSparseLimit,
    .exStrict,
    .exNullOutput,
  ]
}
