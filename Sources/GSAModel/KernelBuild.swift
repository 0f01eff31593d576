import CKernelSupport
import Foundation

/// The code paths this build of the kernels has: the vector instruction set the compiler
/// targeted, and whether it optimised.
///
/// A plain `swift build -c release` targets generic x86-64 (SSE2, no FMA): the kernels' SIMD8
/// multiply-adds then become libm `fmaf` calls, several times slower than the Makefile's build
/// with `-Xswiftc -target-cpu -Xswiftc haswell` (AVX2 + FMA). The level is read at compile time
/// inside this module (`gsa_compiled_vector_level`, inlined here with this module's target CPU),
/// so it describes the kernels' own machine code, whatever the C target or the CLI were built with.
public enum KernelBuild {
  /// The instruction sets a build can target, from the compiler's predefined macros.
  public enum VectorLevel: Int, Sendable, Comparable {
    /// Not x86-64 (the kernels' SIMD types map to the target's own vectors).
    case otherArchitecture = 0
    /// x86-64 baseline: SSE2, 128-bit vectors, no fused multiply-add instruction.
    case genericX86 = 1
    /// AVX2 + FMA: 256-bit vectors and `vfmadd` (the Makefile's build).
    case avx2FMA = 2
    /// AVX-512F + FMA.
    case avx512 = 3

    public static func < (a: VectorLevel, b: VectorLevel) -> Bool { a.rawValue < b.rawValue }

    /// A short name: "avx2+fma", "generic x86-64 (sse2)", ...
    public var name: String {
      switch self {
      case .otherArchitecture: return "native (not x86-64)"
      case .genericX86: return "generic x86-64 (SSE2, no FMA)"
      case .avx2FMA: return "AVX2 + FMA"
      case .avx512: return "AVX-512F + FMA"
      }
    }
  }

  /// What the kernels were compiled for.
  public static let vectorLevel = VectorLevel(rawValue: Int(gsa_compiled_vector_level())) ?? .otherArchitecture

  /// True in an optimised build (`-c release`); debug builds run the kernels tens of times slower.
  public static var isOptimized: Bool {
    #if DEBUG
      return false
    #else
      return true
    #endif
  }

  /// True when the build is the generic x86-64 one (no CPU flags) on an x86-64 CPU.
  public static var isGenericX86: Bool { vectorLevel == .genericX86 }

  /// Whether this CPU has AVX2 and FMA (the `flags` line of /proc/cpuinfo); nil when unknown.
  public static var cpuHasAVX2FMA: Bool? {
    guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return nil }
    let set = Set(flags.split(separator: " ").map(String.init))
    return set.contains("avx2") && set.contains("fma")
  }

  /// The one-line warning timing commands print for a generic x86-64 build; nil otherwise.
  public static var genericBuildWarning: String? {
    guard isGenericX86 else { return nil }
    let cpu = cpuHasAVX2FMA == true ? "this CPU has AVX2 + FMA, but " : ""
    return
      "warning: \(cpu)this binary was built for generic x86-64 (SSE2, no FMA): its kernels run several times slower; rebuild with 'make release' or 'swift build -c release -Xswiftc -target-cpu -Xswiftc haswell'"
  }
}
