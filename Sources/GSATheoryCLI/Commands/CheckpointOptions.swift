import Foundation
import GSAModel
import GSATheory

/// `--checkpoint DIR [--layer N]`: a reference `save_pretrained` directory (config.json and
/// model.safetensors), read lazily (only the chosen layer's tensors).
enum CheckpointOptions {
  static let checkpoint = OptionSpec(
    "--checkpoint", value: "DIR",
    help: "A reference save_pretrained directory (config.json + model.safetensors; F32/F16/BF16/F64); its config sets the layer.")
  static let layer = OptionSpec("--layer", value: "N", default: "0", help: "The checkpoint layer to read (0-based).")

  /// Opens `--checkpoint`, or nil when it is absent; errors are usage errors (exit 2).
  static func open(_ o: ParsedOptions) throws(UsageError) -> ReferenceCheckpoint? {
    guard let directory = o.string("--checkpoint") else {
      if o.has("--layer") { throw UsageError("--layer: needs --checkpoint DIR; give the checkpoint directory") }
      return nil
    }
    do {
      return try ReferenceCheckpoint(directory: directory)
    } catch {
      throw UsageError("--checkpoint: \(error.message)")
    }
  }

  /// The layers `--layer` names: one index, or every layer for `all` when `allowAll`.
  static func layers(_ o: ParsedOptions, checkpoint: ReferenceCheckpoint, allowAll: Bool) throws(UsageError) -> [Int] {
    let count = checkpoint.layerCount
    guard count > 0 else { throw UsageError("--checkpoint: \(checkpoint.directory) holds no attention layer") }
    let raw = o.string("--layer") ?? "0"
    if allowAll, raw == "all" { return Array(0..<count) }
    guard let n = Int(raw), n >= 0, n < count else {
      throw UsageError(
        "--layer: '\(raw)' is not a layer of the checkpoint; use 0...\(count - 1)\(allowAll ? " or all" : "")")
    }
    return [n]
  }

  /// Reads layer `n`, mapping a reader error to a usage error.
  static func read(_ checkpoint: ReferenceCheckpoint, layer n: Int) throws(UsageError) -> ReferenceLayer {
    do {
      return try checkpoint.layer(n)
    } catch {
      throw UsageError("--checkpoint: \(error.message)")
    }
  }

  /// Flags that set the layer's shape, which the checkpoint's config.json sets instead.
  static func rejectShapeFlags(_ o: ParsedOptions, _ names: [String]) throws(UsageError) {
    for name in names where o.has(name) {
      throw UsageError("\(name): the checkpoint's config.json sets the layer; drop \(name) when using --checkpoint")
    }
  }
}
