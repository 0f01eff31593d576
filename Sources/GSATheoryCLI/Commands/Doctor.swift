import Foundation
import GSAModel
import GSATheory
import GSLKit

extension Commands {
  /// `gsa-theory doctor`: the machine and the GSL installation the results depend on,
  /// with GSL's canary draw as a live self-test.
  static let doctor = Command(
    name: "doctor",
    abstract: "Report the machine, the GSL library and a GSL self-test.",
    discussion: """
      Checks that GSL is linked and behaves as the toolkit expects: mt19937 seeded with 42 must draw 1.22192121739814 \
      first. Reports the code paths this binary's kernels were compiled with: the vector instruction set (AVX2 + FMA \
      from the Makefile's -target-cpu haswell; generic x86-64, SSE2 without FMA, from a plain 'swift build') and \
      whether the build is optimised (-c release).
      """,
    examples: ["gsa-theory doctor", "gsa-theory doctor --format json"]
  ) { invocation in
    let machine = MachineInfo.current
    let canary = GSLRandom(seed: 42).gaussian()
    let canaryOK = abs(canary - 1.22192121739814) < 1e-12
    let integral = try GSLIntegration.integrate(.realLine) { exp(-$0 * $0) }
    let integralOK = abs(integral.value - Double.pi.squareRoot()) < 1e-9
    let json: JSONValue = [
      "schema_version": 1,
      "tool_version": .string(CLI.version),
      "gsl_version": .string(GSLInfo.version),
      "machine": machine.json,
      "build": [
        "kernel_vector_isa": .string(KernelBuild.vectorLevel.name), "generic_x86_64": .bool(KernelBuild.isGenericX86),
        "optimized": .bool(KernelBuild.isOptimized), "cpu_has_avx2_fma": KernelBuild.cpuHasAVX2FMA.map(JSONValue.bool) ?? .null,
      ],
      "self_test": [
        "canary_first_gaussian": .number(canary), "canary_ok": .bool(canaryOK),
        "integral_exp_minus_x2": .number(integral.value), "integral_ok": .bool(integralOK),
      ],
    ]
    let table = TextTable(
      headers: ["item", "value"],
      rows: [
        ["gsa-theory", CLI.version], ["GSL", GSLInfo.version], ["CPU", machine.cpuModel], ["cores", String(machine.cores)],
        ["memory", String(format: "%.1f GiB", Double(machine.memoryBytes) / 1_073_741_824)],
        ["CPU has AVX2 + FMA", KernelBuild.cpuHasAVX2FMA.map { $0 ? "yes" : "no" } ?? "unknown"],
        ["kernels compiled for", KernelBuild.vectorLevel.name + (KernelBuild.isGenericX86 ? " (slow: see 'make release')" : "")],
        ["optimised build", KernelBuild.isOptimized ? "yes (-c release)" : "no (debug: timings are not meaningful)"],
        ["GSL canary (mt19937, seed 42)", String(format: "%.14f %@", canary, canaryOK ? "ok" : "WRONG")],
        ["QAGI ∫exp(-x²) − √π", String(format: "%.3e %@", integral.value - Double.pi.squareRoot(), integralOK ? "ok" : "WRONG")],
      ])
    return CommandResult(report: Report(json: json, table: table.rendered(), csv: table.csv()), exitCode: canaryOK && integralOK ? 0 : 1)
  }
}
