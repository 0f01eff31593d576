import GSAModel

extension Gen where Value == LayerConfig {
  /// Valid small layer configurations: D = H·d_h, H a multiple of H_kv, k_min ≤ k_base ≤ k_max,
  /// every rule, activation and gate setting. Sizes stay small so kernels run fast in debug
  /// builds; shrinking moves toward the smallest shapes and the first enum cases.
  public static func layerConfig(maxHeadDim: Int = 16, maxHeads: Int = 4, maxK: Int = 64) -> Gen<LayerConfig> {
    Gen<Int>.int(in: 1...maxHeads).flatMap { kvHeads in
      Gen<Int>.int(in: 1...max(1, maxHeads / kvHeads)).flatMap { groupSize in
        Gen<(Int, Int)>.zip(Gen<Int>.int(in: 1...maxHeadDim), Gen<Int>.int(in: 1...4)).flatMap { headDim, indexerHeads in
          Gen<(Int, Int)>.zip(Gen<Int>.int(in: 1...maxHeadDim), Gen<Int>.int(in: 1...maxK)).flatMap { indexerDim, kMin in
            Gen<(Int, Int)>.zip(Gen<Int>.int(in: 0...maxK), Gen<Int>.int(in: 0...maxK)).flatMap { extraBase, extraMax in
              Gen<(AdaptiveKRule, IndexerActivation)>.zip(
                .element(of: AdaptiveKRule.allCases), .element(of: IndexerActivation.allCases)
              ).flatMap { rule, activation in
                Gen<(Bool, Bool, Bool)>.zip(.bool, .bool, .bool).map { valueGate, outputGate, scale in
                  let heads = kvHeads * groupSize
                  return LayerConfig(
                    modelDim: heads * headDim, heads: heads, kvHeads: kvHeads, headDim: headDim, indexerHeads: indexerHeads,
                    indexerDim: indexerDim, kBase: kMin + extraBase, kMin: kMin, kMax: kMin + extraBase + extraMax, kRule: rule,
                    indexerActivation: activation, valueGate: valueGate, outputGate: outputGate, indexerScale: scale, causal: true)
                }
              }
            }
          }
        }
      }
    }
  }
}
