import CGSL

/// Adaptive 1-D quadrature with GSL's QUADPACK routines (QAGS on finite ranges, QAGI, QAGIU
/// and QAGIL on infinite ones).
///
/// Each call allocates its own `gsl_integration_workspace`, so integrations may run
/// concurrently from different threads.
///
/// Mathematical properties:
/// - The returned `error` is GSL's estimate of |value − exact|; on success it satisfies
///   error ≤ max(absoluteTolerance, relativeTolerance·|value|).
/// - Failures (roundoff, too many subdivisions, divergence, a non-finite integrand value)
///   throw `GSLError` naming the routine and GSL's reason; nothing aborts.
public enum GSLIntegration {
  /// An integral's value and GSL's absolute error estimate.
  public struct Result: Sendable, Equatable {
    public let value: Double
    public let error: Double
    /// Number of integrand evaluations GSL made (from the workspace's interval count).
    public let intervals: Int
  }

  /// Where to integrate; infinite ends select QAGI, QAGIU or QAGIL.
  public enum Range: Sendable, Equatable {
    case finite(Double, Double)
    case realLine
    case upperHalf(from: Double)
    case lowerHalf(to: Double)
  }

  /// ∫ f over `range` to within the given tolerances (at least one must be positive).
  ///
  /// - Parameter limit: maximum subintervals of the adaptive bisection.
  public static func integrate(
    _ range: Range,
    absoluteTolerance: Double = 0,
    relativeTolerance: Double = 1e-10,
    limit: Int = 1000,
    _ f: (Double) -> Double
  ) throws(GSLError) -> Result {
    ensureGSLErrorHandlerOff()
    let routine = routineName(range)
    guard absoluteTolerance >= 0, relativeTolerance >= 0, absoluteTolerance.isFinite, relativeTolerance.isFinite,
      absoluteTolerance > 0 || relativeTolerance >= 50 * Double.ulpOfOne
    else {
      throw GSLError.invalidArgument(
        routine,
        "tolerances must be finite and non-negative, with absolute > 0 or relative >= 1.1e-14 (got abs \(absoluteTolerance), rel \(relativeTolerance))"
      )
    }
    guard limit > 0 else { throw GSLError.invalidArgument(routine, "limit must be positive (got \(limit))") }
    if case .finite(let a, let b) = range, !(a.isFinite && b.isFinite) {
      throw GSLError.invalidArgument(routine, "finite range needs finite ends (got [\(a), \(b)]); use .realLine, .upperHalf or .lowerHalf")
    }
    guard let workspace = gsl_integration_workspace_alloc(limit) else {
      throw GSLError.invalidArgument(routine, "could not allocate a workspace of \(limit) intervals")
    }
    defer { gsl_integration_workspace_free(workspace) }

    return try withoutActuallyEscaping(f) { (escapable) throws(GSLError) -> Result in
      let box = IntegrandBox(escapable)
      let context = Unmanaged.passUnretained(box).toOpaque()
      var function = cgsl_make_function(integrandTrampoline, context)
      var value = 0.0
      var error = 0.0
      let status: Int32
      switch range {
      case .finite(let a, let b):
        status = gsl_integration_qags(&function, a, b, absoluteTolerance, relativeTolerance, limit, workspace, &value, &error)
      case .realLine:
        status = gsl_integration_qagi(&function, absoluteTolerance, relativeTolerance, limit, workspace, &value, &error)
      case .upperHalf(let a):
        status = gsl_integration_qagiu(&function, a, absoluteTolerance, relativeTolerance, limit, workspace, &value, &error)
      case .lowerHalf(let b):
        status = gsl_integration_qagil(&function, b, absoluteTolerance, relativeTolerance, limit, workspace, &value, &error)
      }
      withExtendedLifetime(box) {}
      if box.sawNonFinite {
        throw GSLError(
          routine: routine, status: Int32(GSL_EBADFUNC), reason: "integrand returned NaN or infinity at x = \(box.firstBadPoint)")
      }
      try check(status, routine)
      return Result(value: value, error: error, intervals: workspace.pointee.size)
    }
  }

  private static func routineName(_ range: Range) -> String {
    switch range {
    case .finite: return "gsl_integration_qags"
    case .realLine: return "gsl_integration_qagi"
    case .upperHalf: return "gsl_integration_qagiu"
    case .lowerHalf: return "gsl_integration_qagil"
    }
  }
}

/// Carries a Swift closure through GSL's `void *params`; records non-finite values (which GSL
/// would otherwise propagate silently) so the call can fail with a clear reason.
private final class IntegrandBox {
  let f: (Double) -> Double
  var sawNonFinite = false
  var firstBadPoint = Double.nan
  init(_ f: @escaping (Double) -> Double) { self.f = f }
}

private func integrandTrampoline(_ x: Double, _ context: UnsafeMutableRawPointer?) -> Double {
  let box = Unmanaged<IntegrandBox>.fromOpaque(context!).takeUnretainedValue()
  let y = box.f(x)
  if !y.isFinite {
    if !box.sawNonFinite { box.firstBadPoint = x }
    box.sawNonFinite = true
    return 0
  }
  return y
}
