import Foundation

/// Runs the built `gsa-theory` binary, for tests of the real command line.
public enum ToolRunner {
  /// The result of one run.
  public struct Result: Sendable, CustomStringConvertible {
    public let exitCode: Int32
    /// True when the process ended by a signal (a crash or trap), not by exit().
    public let killedBySignal: Bool
    public let stdout: String
    public let stderr: String
    public var description: String { "exit \(exitCode)\(killedBySignal ? " (signal)" : ""); stderr: \(stderr.prefix(300))" }
  }

  /// `GSA_THEORY_BIN`, or `gsa-theory` next to the test bundle (`.build/<config>/`).
  public static var binaryPath: String {
    if let path = ProcessInfo.processInfo.environment["GSA_THEORY_BIN"] { return path }
    let bundleDirectory = Bundle.main.bundleURL.deletingLastPathComponent()
    let candidates = [
      Bundle.main.bundleURL.appendingPathComponent("gsa-theory"), bundleDirectory.appendingPathComponent("gsa-theory"),
      URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("gsa-theory"),
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path ?? candidates[1].path
  }

  /// Runs the tool with `arguments`, optional stdin and extra environment; waits for it.
  public static func run(_ arguments: [String], environment: [String: String] = [:], currentDirectory: String? = nil) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binaryPath)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes concurrently so a large output cannot deadlock the child.
    let outBox = DataBox()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      outBox.data = out.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Result(
      exitCode: process.terminationStatus, killedBySignal: process.terminationReason == .uncaughtSignal,
      stdout: String(decoding: outBox.data, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
  }
}

private final class DataBox: @unchecked Sendable {
  var data = Data()
}
