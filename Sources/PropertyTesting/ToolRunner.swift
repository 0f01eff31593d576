import Foundation

/// Runs the built `gsa-theory` binary, for tests of the real command line.
public enum ToolRunner {
  /// The result of one run.
  public struct Result: Sendable, CustomStringConvertible {
    public let exitCode: Int32
    /// True when the process ended by a signal (a crash or trap), not by exit().
    public let killedBySignal: Bool
    /// True when the deadline passed and the process was sent SIGTERM.
    public let timedOut: Bool
    /// Standard output as bytes (a usage error must leave it empty).
    public let stdoutData: Data
    public let stderr: String
    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
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

  /// Runs the tool (or `binary`) with `arguments` and extra environment; waits for it. With a
  /// `deadline` (seconds), a process still running then gets SIGTERM and `timedOut` is set
  /// (the tool's handler then exits with 143).
  public static func run(
    _ arguments: [String], environment: [String: String] = [:], currentDirectory: String? = nil, binary: String? = nil,
    deadline: Double? = nil
  ) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary ?? binaryPath)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let timedOut = Flag()
    let timer = DispatchWorkItem {
      if process.isRunning {
        timedOut.set()
        process.terminate()
      }
    }
    if let deadline { DispatchQueue.global().asyncAfter(deadline: .now() + deadline, execute: timer) }
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
    timer.cancel()
    return Result(
      exitCode: process.terminationStatus, killedBySignal: process.terminationReason == .uncaughtSignal, timedOut: timedOut.value,
      stdoutData: outBox.data, stderr: String(decoding: errData, as: UTF8.self))
  }
}

private final class DataBox: @unchecked Sendable {
  var data = Data()
}

private final class Flag: @unchecked Sendable {
  private let lock = NSLock()
  private var raised = false
  func set() { lock.withLock { raised = true } }
  var value: Bool { lock.withLock { raised } }
}
