#!/usr/bin/env python3
"""An independent PyTorch reference of the Hugging Face decoder-only models Alignment.Models implements
(model_type llama, mistral, qwen2, qwen3), written from the published architecture (transformers'
modeling_llama.py / modeling_qwen2.py / modeling_qwen3.py, eager attention), small and on purpose unlike the C#
code: one sequence at a time, no padding, no cache, explicit repeat_kv, additive -inf causal mask, float64.

It reads a Hugging Face model folder by itself: config.json and model.safetensors or sharded
model-0000i-of-0000n.safetensors + model.safetensors.index.json, parsed by hand (8-byte little-endian header
length, JSON header, raw little-endian data), since the safetensors package is not installed here.

Used by make_fixtures.py; importable, no side effects.
"""
import json
import math
import os
import struct

import torch

F64 = torch.float64

_DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2), "F64": (torch.float64, 8)}


def read_safetensors(path):
    """{name: float64 tensor} from one safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, size = _DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        raw = bytearray(data[begin:end])
        if dtype == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16) if raw else torch.empty(0, dtype=dtype)
        else:
            t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).to(F64)
    return out


def read_folder(folder):
    """(config dict, {name: float64 tensor}) of a Hugging Face model folder."""
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    index = os.path.join(folder, "model.safetensors.index.json")
    weights = {}
    if os.path.exists(index):
        with open(index) as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        for shard in shards:
            weights.update(read_safetensors(os.path.join(folder, shard)))
    else:
        weights = read_safetensors(os.path.join(folder, "model.safetensors"))
    return config, weights


# ---- configuration, with the defaults of each transformers config class ----

def head_dim_of(c):
    if c.get("head_dim") is not None:
        return c["head_dim"]
    if c["model_type"] == "qwen3":
        return 128
    return c["hidden_size"] // c["num_attention_heads"]


def kv_heads_of(c):
    if c.get("num_key_value_heads") is not None:
        return c["num_key_value_heads"]
    return 8 if c["model_type"] == "mistral" else c["num_attention_heads"]


def inv_freq_of(c):
    """RoPE inverse frequencies: default, or Llama 3.1's piecewise rescaling (transformers' _compute_llama3_parameters)."""
    dim = head_dim_of(c)
    base = c.get("rope_theta", 10000.0)
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=F64) / dim))
    scaling = c.get("rope_scaling")
    kind = None if scaling is None else scaling.get("rope_type", scaling.get("type"))
    if kind in (None, "default"):
        return inv_freq
    assert kind == "llama3", kind
    factor = scaling["factor"]
    low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
    old_len = scaling["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old_len / low, old_len / high
    out = []
    for f in inv_freq.tolist():
        wavelen = 2 * math.pi / f
        if wavelen < high_wavelen:
            out.append(f)                      # high frequency: kept
        elif wavelen > low_wavelen:
            out.append(f / factor)             # low frequency: interpolated by the factor
        else:                                  # in between: smooth blend of the two
            smooth = (old_len / wavelen - low) / (high - low)
            out.append((1 - smooth) * f / factor + smooth * f)
    return torch.tensor(out, dtype=F64)


# ---- the model, one unpadded sequence ----

def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def linear(x, weights, name, bias):
    y = x @ weights[name + ".weight"].T
    return y + weights[name + ".bias"] if bias else y


def forward(c, weights, ids):
    """(final normed hidden states (T, hidden), logits (T, vocab)) for one sequence of token ids."""
    mt = c["model_type"]
    eps = c.get("rms_norm_eps", 1e-6)
    hq, hkv, d = c["num_attention_heads"], kv_heads_of(c), head_dim_of(c)
    # Biases: qwen2 always has them on q/k/v (never on o); llama and qwen3 on all four when attention_bias;
    # mistral never. MLP biases: llama's mlp_bias only.
    attention_bias = mt in ("llama", "qwen3") and c.get("attention_bias", False)
    qkv_bias = mt == "qwen2" or attention_bias
    o_bias = attention_bias
    mlp_bias = mt == "llama" and c.get("mlp_bias", False)
    T = len(ids)

    x = weights["model.embed_tokens.weight"][torch.tensor(ids)]
    angles = torch.arange(T, dtype=F64)[:, None] * inv_freq_of(c)[None, :]
    emb = torch.cat((angles, angles), dim=-1)
    cos, sin = emb.cos(), emb.sin()  # (T, D)
    causal = torch.full((T, T), float("-inf"), dtype=F64).triu(1)

    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, weights[p + "input_layernorm.weight"], eps)
        q = linear(h, weights, p + "self_attn.q_proj", qkv_bias).view(T, hq, d)
        k = linear(h, weights, p + "self_attn.k_proj", qkv_bias).view(T, hkv, d)
        v = linear(h, weights, p + "self_attn.v_proj", qkv_bias).view(T, hkv, d)
        if mt == "qwen3":
            q = rms_norm(q, weights[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, weights[p + "self_attn.k_norm.weight"], eps)
        q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)  # (H, T, D)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(hq // hkv, dim=0)  # repeat_kv: query head j reads kv head j // (hq / hkv)
        v = v.repeat_interleave(hq // hkv, dim=0)
        scores = q @ k.transpose(1, 2) / math.sqrt(d) + causal
        attn = torch.softmax(scores, dim=-1) @ v  # (Hq, T, D)
        x = x + linear(attn.transpose(0, 1).reshape(T, hq * d), weights, p + "self_attn.o_proj", o_bias)

        h = rms_norm(x, weights[p + "post_attention_layernorm.weight"], eps)
        gate = linear(h, weights, p + "mlp.gate_proj", mlp_bias)
        up = linear(h, weights, p + "mlp.up_proj", mlp_bias)
        x = x + linear(torch.nn.functional.silu(gate) * up, weights, p + "mlp.down_proj", mlp_bias)

    hidden = rms_norm(x, weights["model.norm.weight"], eps)
    head = weights["model.embed_tokens.weight"] if c.get("tie_word_embeddings", False) else weights["lm_head.weight"]
    return hidden, hidden @ head.T


def token_logprobs(logits, ids):
    """log p(ids[t] | ids[:t]) for t = 1..T-1."""
    lp = torch.log_softmax(logits[:-1], dim=-1)
    return lp.gather(1, torch.tensor(ids[1:])[:, None]).squeeze(1)
