import CGSL

/// A failed GSL call: the routine that failed, GSL's status code and GSL's reason.
public struct GSLError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The GSL routine (or GSLKit operation) that reported the failure.
  public let routine: String
  /// GSL's status code (`GSL_EDOM`, `GSL_EMAXITER`, ...); `GSL_EINVAL` for bad arguments
  /// rejected before GSL is called.
  public let status: Int32
  /// GSL's text for the status, or GSLKit's reason for a rejected argument.
  public let reason: String

  public init(routine: String, status: Int32, reason: String) {
    self.routine = routine
    self.status = status
    self.reason = reason
  }

  public var description: String { "\(routine) failed: \(reason) (GSL status \(status))" }

  /// A GSLKit-side argument error (status `GSL_EINVAL`), raised before GSL is called.
  static func invalidArgument(_ routine: String, _ reason: String) -> GSLError {
    GSLError(routine: routine, status: Int32(GSL_EINVAL), reason: reason)
  }
}

/// GSL's default error handler aborts the process. It is switched off exactly once, lazily,
/// before the first GSL call of any GSLKit entry point (Swift globals initialise atomically).
private let gslErrorHandlerDisabled: Bool = {
  cgsl_disable_error_handler()
  return true
}()

/// Ensures GSL returns status codes instead of aborting. Every GSLKit entry point calls it.
@inline(__always)
func ensureGSLErrorHandlerOff() {
  precondition(gslErrorHandlerDisabled)
}

/// Maps a GSL status to `GSLError`; `GSL_SUCCESS` passes.
@inline(__always)
func check(_ status: Int32, _ routine: String) throws(GSLError) {
  guard status == Int32(GSL_SUCCESS) else {
    throw GSLError(routine: routine, status: status, reason: String(cString: gsl_strerror(status)))
  }
}

/// GSL facts that callers may report (version of the linked library).
public enum GSLInfo {
  /// The version string of the linked GSL, e.g. "2.7.1".
  public static var version: String {
    ensureGSLErrorHandlerOff()
    return String(cString: cgsl_version())
  }
}
