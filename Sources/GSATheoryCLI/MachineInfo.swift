import Foundation
import GSATheory

/// The machine a measurement ran on (reported in JSON so results can be compared).
public struct MachineInfo: Sendable {
  public let cpuModel: String
  public let cores: Int
  public let memoryBytes: UInt64

  public static var current: MachineInfo {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model =
      cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
      .flatMap { $0.split(separator: ":", maxSplits: 1).last }
      .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
    return MachineInfo(
      cpuModel: model, cores: ProcessInfo.processInfo.activeProcessorCount, memoryBytes: ProcessInfo.processInfo.physicalMemory)
  }

  public var json: JSONValue {
    ["cpu_model": .string(cpuModel), "cores": .int(cores), "memory_bytes": .int(Int(memoryBytes))]
  }
}
