import CGSL

/// Dense linear algebra through GSL: singular values and linear least squares.
///
/// Matrices are passed row-major as `[Double]` with explicit shape; GSLKit copies them into
/// GSL-owned storage, so callers never see a GSL pointer.
public enum GSLLinearAlgebra {
  /// All singular values of the row-major `rows × cols` matrix `a`, largest first
  /// (Golub–Reinsch SVD, `gsl_linalg_SV_decomp`, on A or Aᵀ so that it is tall).
  ///
  /// Mathematical properties: σ₁ ≥ … ≥ σ_min(rows,cols) ≥ 0; σ₁ = ‖A‖₂ (spectral norm);
  /// Σσᵢ² = ‖A‖_F².
  public static func singularValues(of a: [Double], rows: Int, cols: Int) throws(GSLError) -> [Double] {
    ensureGSLErrorHandlerOff()
    let routine = "gsl_linalg_SV_decomp"
    guard rows > 0, cols > 0, a.count == rows * cols else {
      throw GSLError.invalidArgument(
        routine, "matrix needs positive shape matching its storage (got \(rows)×\(cols) with \(a.count) values)")
    }
    guard a.allSatisfy(\.isFinite) else {
      throw GSLError.invalidArgument(routine, "matrix has NaN or infinite entries")
    }
    // GSL's SVD needs M ≥ N; the singular values of Aᵀ equal those of A.
    let transpose = rows < cols
    let m = transpose ? cols : rows
    let n = transpose ? rows : cols
    guard let u = gsl_matrix_alloc(m, n), let v = gsl_matrix_alloc(n, n),
      let s = gsl_vector_alloc(n), let work = gsl_vector_alloc(n)
    else { throw GSLError.invalidArgument(routine, "out of memory for a \(m)×\(n) SVD") }
    defer {
      gsl_matrix_free(u)
      gsl_matrix_free(v)
      gsl_vector_free(s)
      gsl_vector_free(work)
    }
    for i in 0..<rows {
      for j in 0..<cols {
        if transpose { gsl_matrix_set(u, j, i, a[i * cols + j]) } else { gsl_matrix_set(u, i, j, a[i * cols + j]) }
      }
    }
    try check(gsl_linalg_SV_decomp(u, v, s, work), routine)
    return (0..<n).map { gsl_vector_get(s, $0) }
  }

  /// The spectral norm ‖A‖₂ = σ₁ (largest singular value).
  public static func spectralNorm(of a: [Double], rows: Int, cols: Int) throws(GSLError) -> Double {
    try singularValues(of: a, rows: rows, cols: cols)[0]
  }
}

/// Ordinary linear least squares y ≈ X c with `gsl_multifit_linear`.
///
/// Mathematical properties:
/// - `coefficients` minimise χ² = ‖y − Xc‖² (SVD-based, so rank-deficient X is handled).
/// - `covariance` = s²·(XᵀX)⁻¹ with s² = χ²/(n − p), the usual unbiased estimate, so
///   `standardErrors[i]` = √covariance[i][i] is the textbook standard error. (GSL returns
///   (XᵀX)⁻¹ scaled by χ²/(n−p) itself; GSLKit checks n > p.)
public struct LinearLeastSquares: Sendable, Equatable {
  public let coefficients: [Double]
  /// Row-major p × p covariance of the coefficients.
  public let covariance: [Double]
  public let chiSquared: Double
  /// Coefficient of determination 1 − χ²/Σ(y − ȳ)² (1 for an exact fit; NaN for constant y).
  public let rSquared: Double
  public let observations: Int
  /// Effective rank of X found by the SVD.
  public let rank: Int

  public var parameters: Int { coefficients.count }
  public var standardErrors: [Double] {
    (0..<parameters).map { covariance[$0 * parameters + $0].squareRoot() }
  }

  /// Fits y ≈ X c for a row-major design matrix X (`observations × parameters`).
  public static func fit(
    design x: [Double], observations n: Int, parameters p: Int, response y: [Double]
  )
    throws(GSLError) -> LinearLeastSquares
  {
    ensureGSLErrorHandlerOff()
    let routine = "gsl_multifit_linear"
    guard p > 0, n > p, x.count == n * p, y.count == n else {
      throw GSLError.invalidArgument(
        routine,
        "needs more observations than parameters and matching sizes (got n = \(n), p = \(p), X has \(x.count), y has \(y.count) values)")
    }
    guard x.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite) else {
      throw GSLError.invalidArgument(routine, "design or response has NaN or infinite entries")
    }
    guard let gx = gsl_matrix_alloc(n, p), let gy = gsl_vector_alloc(n), let c = gsl_vector_alloc(p),
      let cov = gsl_matrix_alloc(p, p), let work = gsl_multifit_linear_alloc(n, p)
    else { throw GSLError.invalidArgument(routine, "out of memory for a \(n)×\(p) fit") }
    defer {
      gsl_matrix_free(gx)
      gsl_vector_free(gy)
      gsl_vector_free(c)
      gsl_matrix_free(cov)
      gsl_multifit_linear_free(work)
    }
    for i in 0..<n {
      gsl_vector_set(gy, i, y[i])
      for j in 0..<p { gsl_matrix_set(gx, i, j, x[i * p + j]) }
    }
    var chisq = 0.0
    try check(gsl_multifit_linear(gx, gy, c, cov, &chisq, work), routine)
    // Singular values below this relative tolerance count as zero (X is then rank deficient).
    let rank = gsl_multifit_linear_rank(1e-12, work)
    let mean = y.reduce(0, +) / Double(n)
    let total = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    let coefficients = (0..<p).map { gsl_vector_get(c, $0) }
    var covariance = [Double](repeating: 0, count: p * p)
    for i in 0..<p { for j in 0..<p { covariance[i * p + j] = gsl_matrix_get(cov, i, j) } }
    return LinearLeastSquares(
      coefficients: coefficients, covariance: covariance, chiSquared: chisq,
      rSquared: total > 0 ? 1 - chisq / total : .nan, observations: n, rank: Int(rank))
  }

  /// Straight-line fit y ≈ intercept + slope·x (the log-log exponent fit uses this).
  ///
  /// Throws `GSL_ESING` when the slope is undetermined (fewer than two distinct x: the design
  /// has rank < 2), rather than returning GSL's minimum-norm solution as if it were a slope.
  public static func line(x: [Double], y: [Double]) throws(GSLError) -> LinearLeastSquares {
    guard x.count == y.count else {
      throw GSLError.invalidArgument("gsl_multifit_linear", "x and y differ in length (\(x.count) vs \(y.count))")
    }
    var design = [Double]()
    design.reserveCapacity(2 * x.count)
    for xi in x { design.append(1); design.append(xi) }
    let result = try fit(design: design, observations: x.count, parameters: 2, response: y)
    guard result.rank == 2 else {
      throw GSLError(
        routine: "gsl_multifit_linear", status: Int32(GSL_ESING),
        reason: "singular straight-line fit: all \(x.count) x values are equal, so the slope is undetermined; use at least two distinct x")
    }
    return result
  }
}
