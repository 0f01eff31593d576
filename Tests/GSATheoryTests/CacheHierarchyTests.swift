import Foundation
import Testing

@testable import GSATheory

@Suite struct CacheHierarchyTests {
  @Test func sizesParseWithTheirUnits() {
    #expect(CacheHierarchy.parseSize("48K") == 48 << 10)
    #expect(CacheHierarchy.parseSize("2M") == 2 << 20)
    #expect(CacheHierarchy.parseSize("512") == 512)
    #expect(CacheHierarchy.parseSize("K") == nil)
    #expect(CacheHierarchy.parseSize("x2M") == nil)
  }

  /// A sysfs-like tree: the data and unified caches are picked by level and type, the instruction
  /// cache and malformed entries are skipped.
  @Test func detectReadsASysfsTree() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let entries: [(Int, String, String)] = [(1, "Data", "48K"), (1, "Instruction", "32K"), (2, "Unified", "1280K"), (3, "Unified", "bad")]
    for (i, (level, type, size)) in entries.enumerated() {
      let dir = root.appendingPathComponent("index\(i)")
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      try "\(level)\n".write(to: dir.appendingPathComponent("level"), atomically: true, encoding: .utf8)
      try "\(type)\n".write(to: dir.appendingPathComponent("type"), atomically: true, encoding: .utf8)
      try "\(size)\n".write(to: dir.appendingPathComponent("size"), atomically: true, encoding: .utf8)
    }
    #expect(CacheHierarchy.detect(root: root.path) == CacheHierarchy(l1Data: 48 << 10, l2: 1280 << 10, l3: nil))
    #expect(CacheHierarchy.detect(root: root.path + "-missing") == CacheHierarchy())
  }
}
