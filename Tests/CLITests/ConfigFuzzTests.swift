import GSAModel
import Testing

@testable import GSATheoryCLI

/// In-process fuzz of the layer-configuration flags (docs/reliability.md): whatever values the
/// flags get, `LayerOptions.configuration` either returns a configuration that passes
/// `LayerConfig.validated()` with k ≤ every length, or throws one line naming a flag.
@Suite struct ConfigFuzzTests {
  static let values = [
    "", "0", "-1", "1", "2", "3", "4", "7", "8", "16", "63", "64", "128", "1000", "1024", "4096", "65536", "65537", "1e9", "4k", "nan",
    "inf", "ü", "2.5", "9223372036854775807",
  ]

  @Test func layerOptionsGiveValidConfigsOrOneLineErrorsNamingTheFlag() throws {
    let specs = LayerOptions.specs(defaultPreset: "paper-shape") + [OptionSpec("--length", value: "N", help: "")]
    let valued = specs.filter(\.takesValue).map(\.name)
    var random = FuzzRandom(seed: FuzzSettings.current.seed ^ 0xC0F1)
    var accepted = 0
    var refused = 0
    for _ in 0..<6_000 {
      var arguments = [String]()
      for name in valued where random.chance(0.3) {
        let value: String
        switch name {
        case "--preset": value = random.pick(LayerConfig.presetNames + ["PAPER", "papr", ""])
        case "--k-rule": value = random.pick(AdaptiveKRule.allCases.map(\.rawValue) + ["Code", "x"])
        default: value = random.pick(Self.values)
        }
        arguments += [name, value]
      }
      do {
        let options = try ParsedOptions.parse(arguments, specs: specs, allowsPositionals: false, command: "fuzz")
        let length = try options.int("--length", default: 4096, in: 1...(1 << 24))
        let config = try LayerOptions.configuration(options, defaultPreset: "paper-shape", lengths: [length])
        #expect(throws: Never.self) { _ = try config.validated() }
        #expect(config.kBase <= length && config.kMin <= config.kBase && config.kBase <= config.kMax, "\(arguments)")
        accepted += 1
      } catch {
        refused += 1
        #expect(error.message.hasPrefix("--"), "error must name the flag: \(error.message) for \(arguments)")
        #expect(!error.message.contains("\n"))
      }
    }
    #expect(accepted > 100 && refused > 100, "accepted \(accepted), refused \(refused)")
  }
}
