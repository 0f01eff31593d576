/// Levenshtein distance between two strings (by Unicode scalar), for "did you mean" hints
/// on claim ids, commands, options and values.
///
/// Mathematical properties: a metric (d(a, b) = 0 iff a = b, symmetric, triangle inequality);
/// d(a, b) ≤ max(|a|, |b|).
public func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a.unicodeScalars)
  let b = Array(b.unicodeScalars)
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var previous = Array(0...b.count)
  var current = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    current[0] = i
    for j in 1...b.count {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}
