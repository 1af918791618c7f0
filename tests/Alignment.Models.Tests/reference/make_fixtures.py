#!/usr/bin/env python3
"""Makes the parity fixtures of Alignment.Models.Tests: tiny random Hugging Face model folders (config.json +
safetensors, written by hand in f32/f16/bf16, one of them sharded) and expected.json with the reference's per-token
log-probabilities (hf_reference.py, float64) for a few token sequences, plus the final hidden states of one model
for the score/value head tests.

Regenerate (Debian's python3-torch 1.13; no transformers or safetensors packages needed):
    cd tests/Alignment.Models.Tests/reference && /usr/bin/python3 make_fixtures.py
The C# tests read the folders with the model loader and compare within 1e-4 (float32 compute); no python at test time.
"""
import json
import os
import shutil
import struct

import torch

import hf_reference as ref

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Fixtures", "parity")

VOCAB, HIDDEN, INTER, LAYERS = 40, 24, 40, 2

# name -> (config overrides, on-disk dtype, shards)
CASES = {
    # MHA, untied, Llama 3.1 rope scaling whose three frequency bands (kept / smoothed / divided) all occur at head_dim 6
    "llama3_rope": (dict(model_type="llama", num_attention_heads=4, num_key_value_heads=4, rope_theta=10000.0,
                         rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                                           original_max_position_embeddings=256)), "F32", 1),
    # GQA 4:2, attention_bias and mlp_bias, bfloat16 on disk, two shards
    "llama_gqa_bias": (dict(model_type="llama", num_attention_heads=4, num_key_value_heads=2, rope_theta=500000.0,
                            attention_bias=True, mlp_bias=True), "BF16", 2),
    # MQA (one kv head), float16 on disk, window larger than any fixture sequence
    "mistral": (dict(model_type="mistral", num_attention_heads=4, num_key_value_heads=1, rope_theta=1000000.0,
                     sliding_window=4096), "F16", 1),
    # q/k/v biases, GQA, tied embeddings (no lm_head.weight in the file)
    "qwen2_tied": (dict(model_type="qwen2", num_attention_heads=4, num_key_value_heads=2, rope_theta=1000000.0,
                        tie_word_embeddings=True, use_sliding_window=False, sliding_window=4096, max_window_layers=2),
                   "F32", 1),
    # per-head q/k RMSNorm, head_dim 8 != hidden/heads (6), GQA
    "qwen3": (dict(model_type="qwen3", num_attention_heads=4, num_key_value_heads=2, head_dim=8, rope_theta=1000000.0,
                   attention_bias=False, use_sliding_window=False, sliding_window=None, max_window_layers=2), "F32", 1),
}

SEQUENCES = [
    [3, 17, 25, 9, 33, 1, 38, 12, 7, 20, 29, 5, 14, 36, 22, 0, 31, 11, 26, 8],
    [39, 2, 18, 30, 6, 24, 13, 35, 4, 27, 10],
    [21, 15, 37, 19],
]

HIDDEN_STATES_OF = "llama3_rope"


def config_of(name, overrides):
    c = {
        "architectures": [{"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM",
                           "qwen3": "Qwen3ForCausalLM"}[overrides["model_type"]]],
        "vocab_size": VOCAB, "hidden_size": HIDDEN, "intermediate_size": INTER, "num_hidden_layers": LAYERS,
        "hidden_act": "silu", "max_position_embeddings": 512, "initializer_range": 0.02, "rms_norm_eps": 1e-5,
        "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32",
        "attention_dropout": 0.0, "use_cache": True, "transformers_version": "4.51.0",
    }
    c.update(overrides)
    return c


def tensor_shapes(c):
    """Every tensor of the model, HF names, in a fixed order."""
    mt = c["model_type"]
    hq, hkv, d = c["num_attention_heads"], ref.kv_heads_of(c), ref.head_dim_of(c)
    attention_bias = mt in ("llama", "qwen3") and c.get("attention_bias", False)
    qkv_bias, o_bias = mt == "qwen2" or attention_bias, attention_bias
    mlp_bias = mt == "llama" and c.get("mlp_bias", False)
    shapes = [("model.embed_tokens.weight", [VOCAB, HIDDEN])]
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        shapes += [(p + "input_layernorm.weight", [HIDDEN]), (p + "post_attention_layernorm.weight", [HIDDEN])]
        for proj, out_dim, in_dim, bias in (("q_proj", hq * d, HIDDEN, qkv_bias), ("k_proj", hkv * d, HIDDEN, qkv_bias),
                                            ("v_proj", hkv * d, HIDDEN, qkv_bias), ("o_proj", HIDDEN, hq * d, o_bias)):
            shapes.append((p + f"self_attn.{proj}.weight", [out_dim, in_dim]))
            if bias:
                shapes.append((p + f"self_attn.{proj}.bias", [out_dim]))
        if mt == "qwen3":
            shapes += [(p + "self_attn.q_norm.weight", [d]), (p + "self_attn.k_norm.weight", [d])]
        for proj, out_dim, in_dim in (("gate_proj", INTER, HIDDEN), ("up_proj", INTER, HIDDEN), ("down_proj", HIDDEN, INTER)):
            shapes.append((p + f"mlp.{proj}.weight", [out_dim, in_dim]))
            if mlp_bias:
                shapes.append((p + f"mlp.{proj}.bias", [out_dim]))
    shapes.append(("model.norm.weight", [HIDDEN]))
    if not c.get("tie_word_embeddings", False):
        shapes.append(("lm_head.weight", [VOCAB, HIDDEN]))
    return shapes


def random_weights(c, seed, dtype):
    """Norm scales 1 + N(0, 0.1²), biases N(0, 0.1²), matrices N(0, 0.3²) (so the log-probs spread), rounded to dtype."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in tensor_shapes(c):
        if name.endswith("norm.weight"):
            t = 1 + 0.1 * torch.randn(shape, generator=g)
        elif name.endswith(".bias"):
            t = 0.1 * torch.randn(shape, generator=g)
        else:
            t = 0.3 * torch.randn(shape, generator=g)
        out[name] = t.to(dtype)
    return out


def tensor_bytes(t):
    if t.dtype == torch.bfloat16:
        return t.contiguous().view(torch.int16).numpy().tobytes()
    return t.contiguous().numpy().tobytes()


def write_safetensors(path, tensors):
    codes = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        b = tensor_bytes(tensors[name])
        header[name] = {"dtype": codes[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_folder(folder, c, weights, shards):
    os.makedirs(folder)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), weights)
        return
    names = sorted(weights)
    per = (len(names) + shards - 1) // shards
    weight_map, total = {}, 0
    for s in range(shards):
        part = {n: weights[n] for n in names[s * per:(s + 1) * per]}
        file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        write_safetensors(os.path.join(folder, file), part)
        for n, t in part.items():
            weight_map[n] = file
            total += len(tensor_bytes(t))
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
    expected = {"tolerance": 1e-4, "sequences": SEQUENCES, "models": {}}
    for seed, (name, (overrides, dtype, shards)) in enumerate(CASES.items(), start=1000):
        c = config_of(name, overrides)
        c["torch_dtype"] = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[dtype]
        write_folder(os.path.join(OUT, name), c, random_weights(c, seed, dtypes[dtype]), shards)
        # The reference reads the folder back, as the C# loader does.
        config, weights = ref.read_folder(os.path.join(OUT, name))
        entry = {"logprobs": []}
        for ids in SEQUENCES:
            hidden, logits = ref.forward(config, weights, ids)
            entry["logprobs"].append([None] + ref.token_logprobs(logits, ids).tolist())
            if name == HIDDEN_STATES_OF:
                entry.setdefault("final_hidden", []).append(hidden.tolist())
        expected["models"][name] = entry
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
