import GSAModel

// Public constructors for the values a sharded run's reports are read back into (`gsa-theory
// merge` rebuilds the whole run's report, with its fits, from the shards' points and cells).

extension SweepPoint {
  /// A value read back from a report (the memberwise initialiser, public).
  public static func restored(
    variant: Variant, length: Int, counted: FlopLedger, predicted: FlopLedger?, totalSelected: Int, seconds: [Double],
    peakResidentBytes: Int?, predictedBytes: Double
  ) -> SweepPoint {
    SweepPoint(
      variant: variant, length: length, counted: counted, predicted: predicted, totalSelected: totalSelected, seconds: seconds,
      peakResidentBytes: peakResidentBytes, predictedBytes: predictedBytes)
  }
}

extension StabilitySimulation.Cell {
  /// A value read back from a report (the memberwise initialiser, public).
  public static func restored(
    variant: Variant, seed: UInt64, maxStableLR: Double, spikesPerThousand: Double, maxActivation: Double, firstTokenShareNull: Double,
    firstTokenShareAll: Double, sinkFinalLoss: Double, selectionChangeRate: Double, stepsWithSelectionChange: Double,
    spikeEvents: Int, spikesAtSelectionChange: Int, selectionChangeAtSpikes: Double, sharedRunDiverged: Bool
  ) -> StabilitySimulation.Cell {
    StabilitySimulation.Cell(
      variant: variant, seed: seed, maxStableLR: maxStableLR, spikesPerThousand: spikesPerThousand, maxActivation: maxActivation,
      firstTokenShareNull: firstTokenShareNull, firstTokenShareAll: firstTokenShareAll, sinkFinalLoss: sinkFinalLoss,
      selectionChangeRate: selectionChangeRate, stepsWithSelectionChange: stepsWithSelectionChange, spikeEvents: spikeEvents,
      spikesAtSelectionChange: spikesAtSelectionChange, selectionChangeAtSpikes: selectionChangeAtSpikes,
      sharedRunDiverged: sharedRunDiverged)
  }
}

extension StabilitySimulation.Result {
  /// A value read back from a report (the memberwise initialiser, public).
  public static func restored(settings: StabilitySimulation.Settings, cells: [StabilitySimulation.Cell]) -> StabilitySimulation.Result {
    StabilitySimulation.Result(settings: settings, cells: cells)
  }
}
