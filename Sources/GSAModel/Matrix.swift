/// A shape mismatch when building a matrix or a weight set from arrays.
public struct ShapeError: Error, CustomStringConvertible, Sendable, Equatable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// A dense row-major float32 matrix: element (r, c) is `storage[r * cols + c]`.
///
/// The toolkit's activations and weights are stored this way (contiguous `[Float]`); kernels
/// work on its unsafe buffers. Weights map a row vector x (1 × in) to x·W (1 × out), so a weight
/// is `in × out`: the transpose of PyTorch's `nn.Linear.weight`.
public struct Matrix: Sendable, Hashable, Codable {
  public let rows: Int
  public let cols: Int
  public var storage: [Float]

  /// A `rows × cols` matrix filled with `value`.
  public init(rows: Int, cols: Int, repeating value: Float = 0) {
    precondition(rows >= 0 && cols >= 0, "Matrix: negative shape \(rows)×\(cols)")
    self.rows = rows
    self.cols = cols
    storage = [Float](repeating: value, count: rows * cols)
  }

  /// Wraps row-major storage; throws when `storage.count != rows * cols`.
  public init(rows: Int, cols: Int, storage: [Float]) throws(ShapeError) {
    guard rows >= 0, cols >= 0, storage.count == rows * cols else {
      throw ShapeError("matrix of shape \(rows)×\(cols) needs \(max(0, rows * cols)) values, got \(storage.count)")
    }
    self.rows = rows
    self.cols = cols
    self.storage = storage
  }

  /// A matrix whose element (r, c) is `element(r, c)`.
  public init(rows: Int, cols: Int, _ element: (Int, Int) -> Float) {
    self.init(rows: rows, cols: cols)
    for r in 0..<rows { for c in 0..<cols { storage[r * cols + c] = element(r, c) } }
  }

  /// Converts row-major doubles to float32 (rounding to nearest).
  public init(rows: Int, cols: Int, doubles: [Double]) throws(ShapeError) {
    try self.init(rows: rows, cols: cols, storage: doubles.map { Float($0) })
  }

  @inlinable public subscript(row: Int, col: Int) -> Float {
    get { storage[row * cols + col] }
    set { storage[row * cols + col] = newValue }
  }

  /// Row r as an array.
  public func row(_ r: Int) -> [Float] { Array(storage[(r * cols)..<((r + 1) * cols)]) }

  /// The elements as doubles (row-major).
  public var doubles: [Double] { storage.map(Double.init) }

  /// Maximum |a − b| over elements (shapes must match).
  public func maxAbsDifference(_ other: Matrix) -> Float {
    precondition(rows == other.rows && cols == other.cols)
    var worst: Float = 0
    for i in storage.indices { worst = max(worst, abs(storage[i] - other.storage[i])) }
    return worst
  }
}
