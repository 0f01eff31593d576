extension ClaimRegistry {
  /// The complexity claims, in report order (one file per claim in this folder).
  public static let complexityClaims: [Claim] = [
    .cxCost,
    .cxDominant,
    .cxSpeedup128k,
    .cxSpeedup128kGPU,
    .cxSpeedupVsK,
    .cxBreakeven,
    .cxIndexer1M,
    .cxPrefill,
    .cxDecode,
    .cxMemory,
    .cxDecodeCache,
  ]
}
