/// One of N independent parts of a run (`--shard I/N`), for schedulers that run the parts on
/// different machines (a Slurm job array, GNU parallel, Kubernetes Jobs).
///
/// The partition is round-robin over the run's items in their fixed order (a sweep's
/// (length, variant) points, a simulation's (variant, seed) cells, check's claims): item p goes
/// to shard p mod N. So the shards are disjoint, cover every item, and differ in size by at most
/// one; an item's seed is derived from the run's root seed and the item alone, never from the
/// shard, so a sharded run computes exactly the numbers of the whole run.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
  /// 1-based, as written on the command line: 1...count.
  public let index: Int
  public let count: Int

  /// nil unless 1 ≤ index ≤ count.
  public init?(index: Int, count: Int) {
    guard count >= 1, (1...count).contains(index) else { return nil }
    self.index = index
    self.count = count
  }

  /// Whether item `position` (0-based, in the run's order) belongs to this shard.
  public func contains(_ position: Int) -> Bool { position % count == index - 1 }

  /// The items of `items` this shard runs, in order.
  public func select<T>(_ items: [T]) -> [T] { items.enumerated().filter { contains($0.offset) }.map(\.element) }

  /// "I/N".
  public var description: String { "\(index)/\(count)" }
}
