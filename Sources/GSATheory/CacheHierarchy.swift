import Foundation

/// This machine's data cache sizes, as Linux reports them for CPU 0
/// (/sys/devices/system/cpu/cpu0/cache/index*/{level,type,size}); nil where not reported. The L3
/// is usually shared by every core (and, on a VM, with the host's other tenants).
public struct CacheHierarchy: Sendable, Hashable {
  /// Bytes of the level-1 data, level-2 and level-3 caches (per core for L1 and L2 here).
  public var l1Data: Int?
  public var l2: Int?
  public var l3: Int?

  public init(l1Data: Int? = nil, l2: Int? = nil, l3: Int? = nil) {
    self.l1Data = l1Data
    self.l2 = l2
    self.l3 = l3
  }

  /// The sizes read from sysfs (all nil off Linux or where the files are missing).
  public static func detect(root: String = "/sys/devices/system/cpu/cpu0/cache") -> CacheHierarchy {
    var caches = CacheHierarchy()
    for index in 0..<8 {
      func read(_ name: String) -> String? {
        (try? String(contentsOfFile: "\(root)/index\(index)/\(name)", encoding: .utf8))?
          .trimmingCharacters(in: .whitespacesAndNewlines)
      }
      guard let level = read("level").flatMap(Int.init), let type = read("type"), let size = read("size").flatMap(parseSize)
      else { continue }
      switch (level, type) {
      case (1, "Data"): caches.l1Data = size
      case (2, "Unified"), (2, "Data"): caches.l2 = size
      case (3, "Unified"): caches.l3 = size
      default: break
      }
    }
    return caches
  }

  /// "48K" → 49152, "2M" → 2097152, "512" → 512; nil if malformed.
  static func parseSize(_ text: String) -> Int? {
    let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
    if let last = text.last, let unit = units[last] { return Int(text.dropLast()).map { $0 * unit } }
    return Int(text)
  }
}
