import Foundation
import PropertyTesting
import Testing

@Suite struct DoctorBuildTests {
  static let objdump = ["/usr/bin/objdump", "/usr/bin/llvm-objdump"].first { FileManager.default.isExecutableFile(atPath: $0) }

  /// Fused multiply-add instructions in the binary's machine code, counted by disassembly.
  static func fmaInstructions(in binary: String) throws -> Int {
    let result = try ToolRunner.run(["-d", "--no-show-raw-insn", binary], binary: objdump!)
    return result.stdout.split(separator: "\n").filter { $0.contains("vfmadd") || $0.contains("vfnmadd") }.count
  }

  /// `doctor` names the kernels' instruction set; an independent disassembly of the same binary
  /// agrees: an AVX2 + FMA build contains vfmadd instructions, a generic x86-64 build none.
  @Test(.enabled(if: objdump != nil)) func doctorReportsTheCodePathsTheBinaryHas() throws {
    let result = try ToolRunner.run(["doctor", "--format", "json"])
    #expect(result.exitCode == 0)
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
    let build = try #require(object["build"] as? [String: Any])
    let isa = try #require(build["kernel_vector_isa"] as? String)
    let generic = try #require(build["generic_x86_64"] as? Bool)
    let fma = try Self.fmaInstructions(in: ToolRunner.binaryPath)
    #if arch(x86_64)
      #expect(generic == (fma == 0), "doctor says \(isa); the binary has \(fma) FMA instructions")
      #expect(isa.hasPrefix("AVX") == (fma > 0), "\(isa)")
    #endif
    let table = try ToolRunner.run(["doctor"])
    #expect(table.stdout.contains("kernels compiled for"))
  }

  /// `sweep` warns on stderr, in one line, exactly when it times a generic build.
  @Test func sweepWarnsOnlyForAGenericBuild() throws {
    let doctor = try ToolRunner.run(["doctor", "--format", "json"])
    let object = try JSONSerialization.jsonObject(with: Data(doctor.stdout.utf8)) as! [String: Any]
    let generic = (object["build"] as! [String: Any])["generic_x86_64"] as! Bool
    let sweep = try ToolRunner.run([
      "sweep", "--preset", "tiny", "--lengths", "32,64", "--variants", "dense", "--repeats", "1", "--peak-gflops", "10",
    ])
    #expect(sweep.exitCode == 0, "\(sweep)")
    let warnings = sweep.stderr.split(separator: "\n").filter { $0.hasPrefix("warning:") }
    #expect(warnings.count == (generic ? 1 : 0), "\(sweep.stderr)")
  }
}
