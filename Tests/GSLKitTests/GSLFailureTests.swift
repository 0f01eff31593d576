import CGSL
import GSLKit
import Testing

/// Every GSL failure mode the toolkit can meet comes back as a `GSLError` naming the routine,
/// GSL's status and reason; none aborts the process (GSL's abort handler is off).
@Suite struct GSLFailureTests {
  /// The GSLError `body` throws (nil when it succeeds; any other error is a test failure).
  private func status(_ body: () throws -> Void) -> GSLError? {
    do {
      try body()
      return nil
    } catch let error as GSLError {
      return error
    } catch {
      Issue.record("expected a GSLError, got \(error)")
      return nil
    }
  }

  @Test func nonConvergentIntegralsReportGSLStatus() {
    // ∫₀¹ x^(-1.5) diverges: QAGS reports divergence or roundoff (never an abort).
    let divergent = status { _ = try GSLIntegration.integrate(.finite(0, 1)) { pow($0, -1.5) } }
    #expect(divergent != nil && divergent!.routine == "gsl_integration_qags")
    #expect(
      divergent.map { [GSL_EDIVERGE, GSL_EROUND, GSL_ESING, GSL_EMAXITER].map(Int32.init).contains($0.status) } == true,
      "\(String(describing: divergent))")
    // A wildly oscillating integrand with a tiny subdivision limit: the iteration limit is hit.
    let limited = status { _ = try GSLIntegration.integrate(.finite(0, 1), relativeTolerance: 1e-12, limit: 3) { sin(1 / ($0 + 1e-6)) } }
    #expect(limited != nil && limited!.status != Int32(GSL_SUCCESS))
    // ∫ over the real line of a non-decaying integrand.
    let infinite = status { _ = try GSLIntegration.integrate(.realLine) { _ in 1 } }
    #expect(infinite != nil && infinite!.routine == "gsl_integration_qagi")
    #expect(infinite!.description.contains("GSL status"))
  }

  @Test(arguments: [
    (0.0, 0.0), (-1.0, 1e-8), (1e-8, -1.0), (Double.nan, 1e-8), (1e-8, Double.infinity), (0.0, 1e-16),
  ])
  func badTolerancesAreRejectedBeforeGSLIsCalled(absolute: Double, relative: Double) {
    let error = status { _ = try GSLIntegration.integrate(.finite(0, 1), absoluteTolerance: absolute, relativeTolerance: relative) { $0 } }
    #expect(error?.status == Int32(GSL_EINVAL), "abs \(absolute) rel \(relative): \(String(describing: error))")
    #expect(error?.reason.contains("tolerance") == true)
  }

  @Test func badRangesAndLimitsAreRejected() {
    #expect(status { _ = try GSLIntegration.integrate(.finite(0, .infinity)) { $0 } }?.status == Int32(GSL_EINVAL))
    #expect(status { _ = try GSLIntegration.integrate(.finite(.nan, 1)) { $0 } }?.status == Int32(GSL_EINVAL))
    #expect(status { _ = try GSLIntegration.integrate(.finite(0, 1), limit: 0) { $0 } }?.status == Int32(GSL_EINVAL))
    // An integrand that returns NaN: GSLKit reports it (GSL would propagate it silently).
    let nonFinite = status { _ = try GSLIntegration.integrate(.finite(-1, 1)) { $0 == 0 ? .nan : sqrt($0) } }
    #expect(nonFinite?.status == Int32(GSL_EBADFUNC), "\(String(describing: nonFinite))")
  }

  @Test func singularFitsAreErrorsOrReportedRank() throws {
    // All x equal: the slope is undetermined; `line` refuses with GSL_ESING.
    let flat = status { _ = try LinearLeastSquares.line(x: [3, 3, 3, 3], y: [1, 2, 3, 4]) }
    #expect(flat?.status == Int32(GSL_ESING), "\(String(describing: flat))")
    #expect(flat?.reason.contains("distinct") == true)
    // A zero design: rank 0 is reported, coefficients finite (the caller decides).
    let zero = try LinearLeastSquares.fit(design: [0, 0, 0, 0, 0, 0], observations: 3, parameters: 2, response: [1, 2, 3])
    #expect(zero.rank == 0 && zero.coefficients.allSatisfy(\.isFinite))
    // Too few observations, NaN and infinite data: rejected.
    #expect(status { _ = try LinearLeastSquares.line(x: [1, 2], y: [1, 2]) }?.status == Int32(GSL_EINVAL))
    #expect(status { _ = try LinearLeastSquares.line(x: [1, 2, .nan], y: [1, 2, 3]) }?.status == Int32(GSL_EINVAL))
    #expect(status { _ = try LinearLeastSquares.line(x: [1, 2, 3], y: [1, .infinity, 3]) }?.status == Int32(GSL_EINVAL))
    #expect(status { _ = try GSLLinearAlgebra.singularValues(of: [], rows: 0, cols: 0) }?.status == Int32(GSL_EINVAL))
    // Distinct x: the line fit still works.
    #expect(abs(try LinearLeastSquares.line(x: [1, 2, 3], y: [2, 4, 6]).coefficients[1] - 2) < 1e-12)
  }
}
