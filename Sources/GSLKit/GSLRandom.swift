import CGSL

/// A seeded GSL random generator (mt19937 by default) and the distributions the toolkit
/// samples from.
///
/// A `gsl_rng` carries mutable state and must not be shared between threads, so this class
/// is not `Sendable`: give each task (and each parallel test) its own generator, derived
/// from an explicit seed.
///
/// Mathematical properties:
/// - Same algorithm and seed, same sequence, on every machine (GSL's generators are
///   portable). Canary: mt19937 seeded with 42 gives a first standard Gaussian
///   (`gaussian()`, GSL's Box–Muller polar method) of 1.22192121739814.
public final class GSLRandom {
  /// The generator algorithms GSLKit exposes.
  public enum Algorithm: String, Sendable, CaseIterable {
    case mt19937, ranlxd2, taus2
  }

  private let rng: UnsafeMutablePointer<gsl_rng>
  /// The seed this generator was started from.
  public let seed: UInt64
  public let algorithm: Algorithm

  /// Allocates and seeds a generator. GSL treats seed 0 as its default seed for mt19937
  /// (4357), so 0 is a valid seed too.
  public init(seed: UInt64, algorithm: Algorithm = .mt19937) {
    ensureGSLErrorHandlerOff()
    let type: UnsafePointer<gsl_rng_type>
    switch algorithm {
    case .mt19937: type = cgsl_rng_mt19937()
    case .ranlxd2: type = cgsl_rng_ranlxd2()
    case .taus2: type = cgsl_rng_taus2()
    }
    guard let handle = gsl_rng_alloc(type) else {
      fatalError("gsl_rng_alloc: out of memory allocating a \(algorithm) generator")
    }
    rng = handle
    self.seed = seed
    self.algorithm = algorithm
    gsl_rng_set(rng, UInt(truncatingIfNeeded: seed))
  }

  deinit { gsl_rng_free(rng) }

  /// A raw draw of the underlying generator, uniform on its integer range.
  public func nextRaw() -> UInt { gsl_rng_get(rng) }

  /// Uniform on [0, 1).
  public func uniform() -> Double { gsl_rng_uniform(rng) }

  /// Uniform on (0, 1), never 0.
  public func uniformPositive() -> Double { gsl_rng_uniform_pos(rng) }

  /// Uniform on [low, high).
  public func uniform(in low: Double, _ high: Double) -> Double { gsl_ran_flat(rng, low, high) }

  /// Uniform integer in 0..<n; `n` must be positive.
  public func uniformInt(below n: Int) -> Int {
    precondition(n > 0 && UInt64(n) <= UInt64(UInt32.max), "uniformInt(below:) needs 0 < n <= 2^32")
    return Int(gsl_rng_uniform_int(rng, UInt(n)))
  }

  /// Gaussian with mean 0 and standard deviation `sigma` (Box–Muller polar, `gsl_ran_gaussian`).
  public func gaussian(sigma: Double = 1) -> Double { gsl_ran_gaussian(rng, sigma) }

  /// Gaussian with mean `mean` and standard deviation `sigma`.
  public func gaussian(mean: Double, sigma: Double) -> Double { mean + gsl_ran_gaussian(rng, sigma) }

  /// A row-major `rows × cols` matrix of i.i.d. N(0, scale²) draws.
  public func gaussianMatrix(rows: Int, cols: Int, scale: Double) -> [Double] {
    precondition(rows >= 0 && cols >= 0)
    return (0..<(rows * cols)).map { _ in gsl_ran_gaussian(rng, scale) }
  }

  /// A row-major `rows × cols` matrix of i.i.d. U(−bound, bound) draws.
  public func uniformMatrix(rows: Int, cols: Int, bound: Double) -> [Double] {
    precondition(rows >= 0 && cols >= 0)
    return (0..<(rows * cols)).map { _ in gsl_ran_flat(rng, -bound, bound) }
  }

  /// Xavier (Glorot) scales for a `fanIn → fanOut` weight, as PyTorch's `xavier_*_` define them.
  ///
  /// Mathematical properties: both variants have variance gain²·2/(fanIn + fanOut).
  public enum Xavier {
    /// Standard deviation of `xavier_normal_`: gain·√(2/(fanIn + fanOut)).
    public static func normalStd(fanIn: Int, fanOut: Int, gain: Double = 1) -> Double {
      gain * (2.0 / Double(fanIn + fanOut)).squareRoot()
    }
    /// Half-width of `xavier_uniform_`: gain·√(6/(fanIn + fanOut)).
    public static func uniformBound(fanIn: Int, fanOut: Int, gain: Double = 1) -> Double {
      gain * (6.0 / Double(fanIn + fanOut)).squareRoot()
    }
  }

  /// A `fanIn × fanOut` Xavier-uniform matrix (row-major), as `torch.nn.init.xavier_uniform_`.
  public func xavierUniformMatrix(fanIn: Int, fanOut: Int, gain: Double = 1) -> [Double] {
    uniformMatrix(rows: fanIn, cols: fanOut, bound: Xavier.uniformBound(fanIn: fanIn, fanOut: fanOut, gain: gain))
  }

  /// A `fanIn × fanOut` Xavier-normal matrix (row-major), as `torch.nn.init.xavier_normal_`.
  public func xavierNormalMatrix(fanIn: Int, fanOut: Int, gain: Double = 1) -> [Double] {
    gaussianMatrix(rows: fanIn, cols: fanOut, scale: Xavier.normalStd(fanIn: fanIn, fanOut: fanOut, gain: gain))
  }

  /// A new generator whose seed is derived from this one's stream: for handing independent,
  /// reproducible generators to parallel workers.
  public func split() -> GSLRandom {
    let high = UInt64(truncatingIfNeeded: nextRaw()) & 0xFFFF_FFFF
    let low = UInt64(truncatingIfNeeded: nextRaw()) & 0xFFFF_FFFF
    return GSLRandom(seed: (high << 32) | low, algorithm: algorithm)
  }
}
