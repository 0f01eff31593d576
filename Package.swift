// swift-tools-version:6.0
// gsa-theory: executable checks of the theory of "Gated Sparse Attention" (arXiv 2601.15305).
import PackageDescription

let package = Package(
  name: "gsa-theory",
  products: [
    .executable(name: "gsa-theory", targets: ["gsa-theory"]),
    .library(name: "GSATheory", targets: ["GSATheory"]),
  ],
  targets: [
    // Thin C bridge to GNU GSL (Debian libgsl-dev), located through pkg-config.
    .systemLibrary(
      name: "CGSL",
      pkgConfig: "gsl",
      providers: [.apt(["libgsl-dev", "pkg-config"])]
    ),
    // The only module that touches raw GSL pointers.
    .target(name: "GSLKit", dependencies: ["CGSL"]),
    // C helpers the kernels need and Swift cannot express (cache prefetch hints).
    .target(name: "CKernelSupport"),
    // Configurations, tensors, kernels, FLOP ledger.
    .target(name: "GSAModel", dependencies: ["GSLKit", "CKernelSupport"]),
    // Cost model, claims and their checks, fits, simulations.
    // Profiles/: the GPU spec profiles (h100.json, h200.json) that `--machine NAME` loads.
    .target(name: "GSATheory", dependencies: ["GSAModel", "GSLKit"], resources: [.copy("Profiles")]),
    // Argument parsing, subcommands and output formatting; the library never prints.
    .target(name: "GSATheoryCLI", dependencies: ["GSATheory", "GSAModel", "GSLKit"]),
    .executableTarget(name: "gsa-theory", dependencies: ["GSATheoryCLI"]),
    // The performance benchmark: writes docs/performance.md (run with -c release).
    .executableTarget(name: "gsa-bench", dependencies: ["GSATheory", "GSAModel", "GSATheoryCLI"]),
    // Hand-run kernel timing (GFLOP/s of the dense and indexer kernels against the FMA peak).
    .executableTarget(name: "kernel-bench", dependencies: ["GSATheory", "GSAModel"], path: "Benchmarks/KernelBench"),
    // Shared test support: seeded generators, properties, shrinking.
    .target(name: "PropertyTesting", dependencies: ["GSAModel"]),
    .testTarget(name: "GSLKitTests", dependencies: ["GSLKit", "PropertyTesting"]),
    .testTarget(name: "BenchTests", dependencies: ["gsa-bench", "GSATheory", "GSAModel"]),
    .testTarget(name: "PropertyTestingTests", dependencies: ["PropertyTesting", "GSAModel"]),
    .testTarget(name: "CLITests", dependencies: ["gsa-theory", "GSATheory", "GSATheoryCLI", "PropertyTesting"]),
    .testTarget(name: "GSAModelTests", dependencies: ["GSAModel", "GSLKit", "PropertyTesting"]),
    .testTarget(name: "GSATheoryTests", dependencies: ["GSATheory", "GSAModel", "GSLKit", "PropertyTesting"]),
    .testTarget(
      name: "ConvergenceTests", dependencies: ["GSATheory", "GSAModel", "GSLKit", "GSATheoryCLI", "gsa-theory", "PropertyTesting"]),
  ],
  swiftLanguageModes: [.v6]
)
