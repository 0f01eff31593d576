import Foundation

/// A seeded generator of test values that shrinks through its choice sequence.
///
/// Build generators from the primitives below and the combinators `map`, `flatMap`,
/// `filter` and `zip`; `forAll` runs them and shrinks any failure to a minimal case.
public struct Gen<Value> {
  public let generate: (inout ChoiceStream) throws(GenerationDiscarded) -> Value

  public init(_ generate: @escaping (inout ChoiceStream) throws(GenerationDiscarded) -> Value) {
    self.generate = generate
  }

  public func map<T>(_ transform: @escaping (Value) -> T) -> Gen<T> {
    Gen<T> { (stream: inout ChoiceStream) throws(GenerationDiscarded) in transform(try self.generate(&stream)) }
  }

  public func flatMap<T>(_ transform: @escaping (Value) -> Gen<T>) -> Gen<T> {
    Gen<T> { (stream: inout ChoiceStream) throws(GenerationDiscarded) in try transform(try self.generate(&stream)).generate(&stream) }
  }

  /// Values satisfying `predicate`, retrying up to `maxRetries` times per case; a case that
  /// never satisfies it is discarded (and counts against `forAll`'s discard limit).
  public func filter(maxRetries: Int = 100, _ predicate: @escaping (Value) -> Bool) -> Gen<Value> {
    Gen { (stream: inout ChoiceStream) throws(GenerationDiscarded) in
      for _ in 0..<maxRetries {
        let value = try self.generate(&stream)
        if predicate(value) { return value }
      }
      throw GenerationDiscarded()
    }
  }

  public static func constant(_ value: Value) -> Gen<Value> { Gen { _ in value } }

  public static func zip<A, B>(_ a: Gen<A>, _ b: Gen<B>) -> Gen<(A, B)> where Value == (A, B) {
    Gen { (stream: inout ChoiceStream) throws(GenerationDiscarded) in (try a.generate(&stream), try b.generate(&stream)) }
  }

  public static func zip<A, B, C>(_ a: Gen<A>, _ b: Gen<B>, _ c: Gen<C>) -> Gen<(A, B, C)> where Value == (A, B, C) {
    Gen { (stream: inout ChoiceStream) throws(GenerationDiscarded) in
      (try a.generate(&stream), try b.generate(&stream), try c.generate(&stream))
    }
  }

  /// An array of `count` values (count drawn from its own generator, shrinking toward shorter).
  public func array(count: Gen<Int>) -> Gen<[Value]> {
    Gen<[Value]> { (stream: inout ChoiceStream) throws(GenerationDiscarded) in
      let n = try count.generate(&stream)
      var values = [Value]()
      values.reserveCapacity(n)
      for _ in 0..<n { values.append(try self.generate(&stream)) }
      return values
    }
  }
}

extension Gen where Value == Int {
  /// Integers in `range`, biased to its boundaries: a quarter of draws are lo, lo+1, 0 (when
  /// inside), hi−1 or hi; the rest are uniform. Shrinks toward lo (or toward 0 when 0 ∈ range).
  public static func int(in range: ClosedRange<Int>) -> Gen<Int> {
    let lo = range.lowerBound
    let hi = range.upperBound
    let span = UInt64(bitPattern: Int64(hi &- lo)) &+ 1  // 0 means the full range
    let simplest = range.contains(0) ? 0 : lo
    let boundaries = Array(Set([lo, min(lo + 1, hi), max(hi - 1, lo), hi] + (range.contains(0) ? [0] : []))).sorted()
    return Gen { stream in
      let mode = stream.draw(below: 4)  // 0, 1, 2: uniform; 3: a boundary
      let choice = stream.draw(below: 0)
      if mode == 3 { return boundaries[Int(choice % UInt64(boundaries.count))] }
      // Uniform, laid out so that choice 0 is the simplest value and larger choices move away.
      let offset = span == 0 ? choice : choice % span
      let simplestOffset = UInt64(bitPattern: Int64(simplest &- lo))
      return lo &+ Int(truncatingIfNeeded: (simplestOffset &+ offset) % (span == 0 ? UInt64.max : span))
    }
  }

  /// Sizes log-uniform in `range` (lo ≥ 1): as many 10s as 1000s. Shrinks toward lo.
  public static func logUniform(in range: ClosedRange<Int>) -> Gen<Int> {
    precondition(range.lowerBound >= 1, "log-uniform sizes need a positive lower bound")
    let logLo = log(Double(range.lowerBound))
    let logHi = log(Double(range.upperBound + 1))
    return Gen { stream in
      let u = stream.unitInterval()
      let value = Int(exp(logLo + u * (logHi - logLo)).rounded(.down))
      return min(max(value, range.lowerBound), range.upperBound)
    }
  }
}

extension Gen where Value == Bool {
  public static var bool: Gen<Bool> { Gen { stream in stream.draw(below: 2) == 1 } }
}

extension Gen where Value == Double {
  /// Finite doubles in `range`, with edge cases (0, −0, ±least normal, ±1, the bounds) in an
  /// eighth of draws; `includeNonFinite` adds NaN and ±∞. Shrinks toward 0 (or lo).
  public static func double(in range: ClosedRange<Double>, includeNonFinite: Bool = false) -> Gen<Double> {
    var edges: [Double] = [range.lowerBound, range.upperBound]
    for candidate in [0.0, -0.0, Double.leastNormalMagnitude, -Double.leastNormalMagnitude, 1, -1] where range.contains(candidate) {
      edges.append(candidate)
    }
    if includeNonFinite { edges += [.nan, .infinity, -.infinity] }
    let simplest = range.contains(0) ? 0.0 : range.lowerBound
    return Gen { stream in
      let mode = stream.draw(below: 8)  // 0...6 uniform, 7 edge case
      let u = stream.unitInterval()
      if mode == 7 { return edges[Int(u * Double(edges.count))] }
      // Alternate sides of `simplest`, moving outward as u grows, so u → 0 shrinks to simplest.
      let upward = (u * 2).rounded(.down) == 0
      let t = upward ? u * 2 : u * 2 - 1
      let value = upward ? simplest + t * (range.upperBound - simplest) : simplest - t * (simplest - range.lowerBound)
      return min(max(value, range.lowerBound), range.upperBound)
    }
  }

  /// Approximately standard normal draws (Box–Muller from two uniform choices), scaled.
  public static func gaussian(scale: Double = 1) -> Gen<Double> {
    Gen { stream in
      let u1 = stream.unitInterval()
      let u2 = stream.unitInterval()
      // u1 = 0 gives radius 0: the simplest value is 0.
      let radius = (-2 * log(1 - u1)).squareRoot()
      return scale * radius * cos(2 * Double.pi * u2)
    }
  }
}

extension Gen {
  /// One of `choices` (shrinks toward the first).
  public static func element(of choices: [Value]) -> Gen<Value> {
    precondition(!choices.isEmpty)
    return Gen { stream in choices[Int(stream.draw(below: UInt64(choices.count)))] }
  }
}

/// A dense row-major matrix of test values.
public struct TestMatrix: Sendable, CustomStringConvertible {
  public let rows: Int
  public let cols: Int
  public let values: [Double]
  public var description: String { "\(rows)×\(cols) \(values.prefix(6))\(values.count > 6 ? "…" : "")" }
}

extension Gen where Value == TestMatrix {
  /// Matrices with sizes from `rows` and `cols` and Gaussian entries of the given scale.
  public static func matrix(rows: Gen<Int>, cols: Gen<Int>, scale: Double = 1) -> Gen<TestMatrix> {
    Gen<(Int, Int)>.zip(rows, cols).flatMap { r, c in
      Gen<Double>.gaussian(scale: scale).array(count: .constant(r * c)).map { TestMatrix(rows: r, cols: c, values: $0) }
    }
  }
}
