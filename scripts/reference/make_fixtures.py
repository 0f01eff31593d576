#!/usr/bin/env python3
"""Writes the reference fixtures under Tests/Fixtures/reference/ by running the authors' code.

Optional: `make run` and `make test` never need it (the fixtures are committed). Usage:

    python scripts/reference/make_fixtures.py --reference /path/to/Gated-Sparse-Attention \
        [--out Tests/Fixtures/reference]

The reference checkout is imported as a package (`gsa`); nothing of it is copied. Every layer is
built by the reference's own constructors, its biases are then randomised (the reference
initialises them to constants), and its forward pass produces the output. Selections are read from
the reference's top-k selector with a forward hook. See README.md beside this file.
"""

import argparse
import json
import os
import sys

import torch
from safetensors.torch import save_file

CASES = {
    # name: (GSAConfig fields, sequence length)
    "gsa-fixed": (dict(d_model=32, n_heads=4, n_kv_heads=2, d_indexer=8, n_indexer_heads=2,
                       k_base=8, k_min=4, k_max=16, use_adaptive_k=False), 48),
    "gsa-adaptive": (dict(d_model=32, n_heads=4, n_kv_heads=2, d_indexer=8, n_indexer_heads=2,
                          k_base=8, k_min=4, k_max=16, use_adaptive_k=True), 48),
    "sparse-only": (dict(d_model=32, n_heads=4, n_kv_heads=2, d_indexer=8, n_indexer_heads=2,
                         k_base=8, k_min=4, k_max=16, use_adaptive_k=False, indexer_activation="relu",
                         use_value_gate=False, use_output_gate=False), 48),
    "gated-only": (dict(d_model=32, n_heads=4, n_kv_heads=2, d_indexer=8, n_indexer_heads=2,
                        k_base=48, k_min=4, k_max=48, use_adaptive_k=False), 48),
    "gqa4": (dict(d_model=64, n_heads=8, n_kv_heads=2, d_indexer=8, n_indexer_heads=4,
                  k_base=12, k_min=6, k_max=24, use_adaptive_k=True), 64),
    "long512": (dict(d_model=32, n_heads=4, n_kv_heads=1, d_indexer=8, n_indexer_heads=2,
                     k_base=32, k_min=16, k_max=64, use_adaptive_k=True), 512),
}

COMMON = dict(n_layers=1, max_position_embeddings=1024, attention_dropout=0.0, rope_base=10000.0)


def randomise_biases(module, generator, scale=0.5):
    """Every bias (nn.Linear biases and the indexer's b_j) drawn from N(0, scale²)."""
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            if name.endswith("bias"):
                parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype) * scale)


def selection_hook(store):
    """A forward hook on AdaptiveTopKSelector recording (indices, mask)."""
    def hook(_module, _inputs, output):
        indices, mask = output[0], output[1]
        store.append((indices.detach().clone(), mask.detach().clone()))
    return hook


def selected_tensor(indices, mask):
    """[L, k_eff] int64 key indices with -1 where the reference masks the slot out; k_t per query."""
    selected = torch.where(mask, indices, torch.full_like(indices, -1))
    return selected.contiguous(), mask.sum(dim=-1).to(torch.int64).contiguous()


def config_json(config):
    return json.dumps(config.to_dict(), sort_keys=True)


def layer_case(GSAConfig, GatedSparseAttention, name, fields, length, seed):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    config = GSAConfig(**COMMON, **fields)
    layer = GatedSparseAttention(config).eval()
    randomise_biases(layer, generator)
    store = []
    layer.topk_selector.register_forward_hook(selection_hook(store))
    x = torch.randn(1, length, config.d_model, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        out, _, _ = layer(x)
    selected, k_t = selected_tensor(*[t[0] for t in store[0]])
    tensors = {key: value.detach().contiguous() for key, value in layer.state_dict().items()}
    tensors.update(input=x[0].contiguous(), output=out[0].contiguous(), selected=selected, k_t=k_t)
    metadata = {"config": config_json(config), "case": name, "seed": str(seed)}
    return tensors, metadata, layer, x


def decode_case(GSAConfig, GatedSparseAttention, seed, length=24):
    """Prefill L − 1 tokens with the KV cache, decode the L-th; and the full prefill of L tokens."""
    fields = dict(CASES["gsa-fixed"][0])
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    config = GSAConfig(**COMMON, **fields)
    layer = GatedSparseAttention(config).eval()
    randomise_biases(layer, generator)
    store = []
    layer.topk_selector.register_forward_hook(selection_hook(store))
    x = torch.randn(1, length, config.d_model, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        full, _, _ = layer(x)
        _, cache, _ = layer(x[:, : length - 1], use_cache=True)
        step, _, _ = layer(x[:, length - 1 :], past_key_value=cache, use_cache=True)
    full_selected, full_k = selected_tensor(*[t[0] for t in store[0]])
    decode_selected, decode_k = selected_tensor(*[t[0] for t in store[2]])
    tensors = {key: value.detach().contiguous() for key, value in layer.state_dict().items()}
    tensors.update(
        input=x[0].contiguous(), output=full[0].contiguous(), selected=full_selected, k_t=full_k,
        decode_output=step[0].contiguous(), decode_selected=decode_selected, decode_k_t=decode_k,
    )
    metadata = {"config": config_json(config), "case": "decode", "seed": str(seed),
                "decode_position": str(length - 1)}
    return tensors, metadata


def tiny_llama(GSAConfig, GSALlamaForCausalLM, out_dir, seed, length=32):
    """A 2-layer GSA-LLaMA save_pretrained directory plus the activations of one token sequence."""
    torch.set_default_dtype(torch.float32)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    config = GSAConfig(d_model=32, n_heads=4, n_kv_heads=2, n_layers=2, d_ffn=64, vocab_size=256,
                       d_indexer=8, n_indexer_heads=2, k_base=8, k_min=4, k_max=16, use_adaptive_k=True,
                       max_position_embeddings=256)
    model = GSALlamaForCausalLM(config).eval()
    for layer in model.model.layers:
        randomise_biases(layer.self_attn, generator)
    inputs, outputs, selections = {}, {}, []
    for i, layer in enumerate(model.model.layers):
        def attention_hook(_module, args, output, i=i):
            inputs[i] = args[0].detach().clone()
            outputs[i] = output[0].detach().clone()
        layer.self_attn.register_forward_hook(attention_hook)
        store = []
        layer.self_attn.topk_selector.register_forward_hook(selection_hook(store))
        selections.append(store)
    tokens = torch.randint(0, config.vocab_size, (1, length), generator=generator)
    with torch.no_grad():
        model(tokens)
    checkpoint = os.path.join(out_dir, "tiny-gsa-llama")
    model.save_pretrained(checkpoint)
    activations = {"tokens": tokens[0].contiguous()}
    for i in range(config.n_layers):
        selected, k_t = selected_tensor(*[t[0] for t in selections[i][0]])
        activations[f"layers.{i}.attention_input"] = inputs[i][0].contiguous()
        activations[f"layers.{i}.attention_output"] = outputs[i][0].contiguous()
        activations[f"layers.{i}.selected"] = selected
        activations[f"layers.{i}.k_t"] = k_t
    save_file(activations, os.path.join(out_dir, "tiny-gsa-llama-activations.safetensors"),
              metadata={"case": "tiny-gsa-llama", "seed": str(seed)})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True, help="checkout of alfredcs/Gated-Sparse-Attention")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "reference"))
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.reference))
    from gsa.config import GSAConfig
    from gsa.attention import GatedSparseAttention
    from gsa.models.gsa_llama import GSALlamaForCausalLM

    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    for seed, (name, (fields, length)) in enumerate(CASES.items(), start=2201):
        tensors, metadata, _, _ = layer_case(GSAConfig, GatedSparseAttention, name, fields, length, seed)
        save_file(tensors, os.path.join(args.out, f"{name}.safetensors"), metadata=metadata)
    tensors, metadata = decode_case(GSAConfig, GatedSparseAttention, seed=2290)
    save_file(tensors, os.path.join(args.out, "decode.safetensors"), metadata=metadata)
    tiny_llama(GSAConfig, GSALlamaForCausalLM, args.out, seed=2299)
    total = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(args.out) for f in files)
    print(f"fixtures written to {os.path.abspath(args.out)}: {total} bytes")


if __name__ == "__main__":
    main()
