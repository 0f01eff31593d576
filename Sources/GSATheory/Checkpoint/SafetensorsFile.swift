import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A safetensors file opened lazily: the file is memory-mapped, only its header is parsed, and a
/// tensor's bytes are read (and converted) when it is asked for, so a file of any size costs the
/// bytes of the tensors read (plus the header), never the whole file.
///
/// Format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length N,
/// N bytes of JSON `{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {..}}`,
/// then the data section, offsets relative to its start, little-endian, row-major.
/// Floating dtypes F64, F32, F16, BF16 convert to float64; integer dtypes I64, I32 to `Int`.
///
/// The header is validated whole on opening (every tensor's dtype, shape, offsets and byte
/// count, and that it lies inside the file); values are checked finite when read.
public final class SafetensorsFile: @unchecked Sendable {
  /// The element types read.
  public enum DType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16", i64 = "I64", i32 = "I32"
    public var size: Int {
      switch self {
      case .f64, .i64: 8
      case .f32, .i32: 4
      case .f16, .bf16: 2
      }
    }
    public var isFloatingPoint: Bool { self != .i64 && self != .i32 }
  }

  /// One header entry.
  public struct Entry: Sendable, Hashable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Byte offset of the first element from the start of the file.
    public let fileOffset: Int
    public var count: Int { shape.reduce(1, *) }
    public var byteCount: Int { count * dtype.size }
  }

  /// The file's path as given (for messages).
  public let path: String
  /// The file's size in bytes.
  public let fileSize: Int
  /// Every tensor of the header, by name.
  public let entries: [String: Entry]
  /// `__metadata__` (string values only, as the format prescribes).
  public let metadata: [String: String]

  private let mapping: UnsafeRawPointer?
  private let descriptor: Int32

  /// Opens and memory-maps `path`, then parses and validates its header.
  public init(path: String) throws(SafetensorsError) {
    self.path = path
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      throw SafetensorsError("\(path): cannot read (\(String(cString: strerror(errno)))); give an existing safetensors file")
    }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
      close(fd)
      throw SafetensorsError("\(path): not a regular file; give a safetensors file")
    }
    let size = Int(info.st_size)
    guard size >= 8 else {
      close(fd)
      throw SafetensorsError("\(path): \(size) bytes is too short for a safetensors file (needs an 8-byte header length)")
    }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
      close(fd)
      throw SafetensorsError("\(path): cannot memory-map the file (\(String(cString: strerror(errno))))")
    }
    let raw = UnsafeRawPointer(base)
    do {
      let (entries, metadata) = try Self.parseHeader(raw, fileSize: size, source: path)
      self.entries = entries
      self.metadata = metadata
    } catch {
      munmap(base, size)
      close(fd)
      throw error
    }
    self.fileSize = size
    self.mapping = raw
    self.descriptor = fd
  }

  deinit {
    if let mapping { munmap(UnsafeMutableRawPointer(mutating: mapping), fileSize) }
    close(descriptor)
  }

  /// Tensor names, sorted.
  public var names: [String] { entries.keys.sorted() }

  /// The entry called `name`, or an error naming it.
  public func entry(_ name: String) throws(SafetensorsError) -> Entry {
    guard let entry = entries[name] else {
      throw SafetensorsError("\(path): tensor '\(name)' is missing")
    }
    return entry
  }

  /// The values of a floating-point tensor as float64 (only its bytes are read).
  public func doubles(_ name: String) throws(SafetensorsError) -> [Double] {
    try Self.doubles(of: entry(name), in: mapping!, source: path)
  }

  /// The values of the floating-point tensor `e` of a file whose bytes start at `file`, as float64;
  /// an integer dtype or a non-finite value is an error naming the tensor.
  static func doubles(of e: Entry, in file: UnsafeRawPointer, source: String) throws(SafetensorsError) -> [Double] {
    guard e.dtype.isFloatingPoint else {
      throw SafetensorsError(
        "\(source): tensor '\(e.name)' has integer dtype \(e.dtype.rawValue); a floating-point tensor is expected")
    }
    let p = file + e.fileOffset
    var values = [Double](repeating: 0, count: e.count)
    values.withUnsafeMutableBufferPointer { out in
      for i in 0..<e.count {
        switch e.dtype {
        case .f64: out[i] = Double(bitPattern: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian)
        case .f32:
          out[i] = Double(Float(bitPattern: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian))
        case .bf16:
          out[i] = Double(Float(bitPattern: UInt32(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16))
        case .f16: out[i] = Safetensors.halfToDouble(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
        case .i64, .i32: break
        }
      }
    }
    guard values.allSatisfy(\.isFinite) else {
      throw SafetensorsError("\(source): tensor '\(e.name)' contains NaN or infinite values")
    }
    return values
  }

  /// The values of an integer tensor (I64 or I32).
  public func integers(_ name: String) throws(SafetensorsError) -> [Int] {
    let e = try entry(name)
    let p = mapping! + e.fileOffset
    switch e.dtype {
    case .i64: return (0..<e.count).map { Int(Int64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
    case .i32: return (0..<e.count).map { Int(Int32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
    default:
      throw SafetensorsError("\(path): tensor '\(name)' has dtype \(e.dtype.rawValue); an integer tensor (I64, I32) is expected")
    }
  }

  static func parseHeader(
    _ raw: UnsafeRawPointer, fileSize: Int, source: String
  ) throws(SafetensorsError) -> ([String: Entry], [String: String]) {
    guard fileSize >= 8 else {
      throw SafetensorsError("\(source): \(fileSize) bytes is too short for a safetensors file (needs an 8-byte header length)")
    }
    let headerLength = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
    guard headerLength <= UInt64(fileSize - 8) else {
      throw SafetensorsError(
        "\(source): header length \(headerLength) exceeds the file size \(fileSize); the file is truncated or not safetensors")
    }
    let headerData = Data(bytes: raw + 8, count: Int(headerLength))
    guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
      throw SafetensorsError("\(source): header is not a JSON object; the file is not safetensors")
    }
    let dataStart = 8 + Int(headerLength)
    let dataLength = fileSize - dataStart
    var entries: [String: Entry] = [:]
    var metadata: [String: String] = [:]
    for (name, value) in header {
      if name == "__metadata__" {
        guard let fields = value as? [String: Any] else {
          throw SafetensorsError("\(source): __metadata__ must be a JSON object of strings")
        }
        for (key, item) in fields { if let text = item as? String { metadata[key] = text } }
        continue
      }
      guard let fields = value as? [String: Any], let dtypeName = fields["dtype"] as? String,
        let shapeRaw = fields["shape"] as? [Any], let offsetsRaw = fields["data_offsets"] as? [Any]
      else {
        throw SafetensorsError("\(source): tensor '\(name)' needs dtype, shape and data_offsets in the header")
      }
      guard let dtype = DType(rawValue: dtypeName) else {
        throw SafetensorsError(
          "\(source): tensor '\(name)' has dtype \(dtypeName); supported: \(DType.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      let shape = shapeRaw.compactMap { ($0 as? NSNumber)?.intValue }
      let offsets = offsetsRaw.compactMap { ($0 as? NSNumber)?.intValue }
      guard shape.count == shapeRaw.count, shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 40 }), offsets.count == 2,
        offsets[0] >= 0, offsets[1] >= offsets[0]
      else {
        throw SafetensorsError("\(source): tensor '\(name)' has a malformed shape or data_offsets")
      }
      guard offsets[1] <= dataLength else {
        throw SafetensorsError(
          "\(source): tensor '\(name)' ends at byte \(offsets[1]) of a \(dataLength)-byte data section; the file is truncated")
      }
      let (count, overflow) = shape.reduce((1, false)) { acc, n in
        let (p, o) = acc.0.multipliedReportingOverflow(by: n)
        return (p, acc.1 || o)
      }
      guard !overflow, offsets[1] - offsets[0] == count * dtype.size else {
        throw SafetensorsError(
          "\(source): tensor '\(name)' has \(offsets[1] - offsets[0]) bytes but shape \(shape) in \(dtype.rawValue) needs \(count &* dtype.size)"
        )
      }
      entries[name] = Entry(name: name, dtype: dtype, shape: shape, fileOffset: dataStart + offsets[0])
    }
    return (entries, metadata)
  }
}
