#!/usr/bin/env python3
"""Golden values for FusedGoldenTests.cs: the fused ops' math as Hugging Face transformers' modeling_llama.py writes
it in eager PyTorch (LlamaRMSNorm, LlamaRotaryEmbedding + apply_rotary_pos_emb, repeat_kv + eager attention with an
additive causal/padding mask, LlamaMLP's act_fn(gate) * up, log_softmax + gather), run by PyTorch itself.

Regenerate (Debian's python3-torch 1.13):
    /usr/bin/python3 make_fused_golden.py > fused_golden.json

Deviations from HF, all deliberate:
- float64 everywhere except the rotary tables (float32, as HF builds them); HF's attention softmax runs in float32,
  here in float64 so the fixture pins the math to ~1e-12, not float32 rounding.
- no fully masked query rows (right padding only): HF's additive finfo.min mask gives such rows uniform weights,
  our op gives them 0 by contract; that case is covered by the C# tests.

For every op: out = op(inputs), and grad_<input> = d/d<input> sum(out * w) for the stored random w.
"""
import json

import torch
import torch.nn.functional as F

torch.manual_seed(20261122)
f64 = torch.float64


def enc(t):
    t = t.detach()
    kind = "int64" if t.dtype == torch.int64 else "float64"
    data = t.reshape(-1).tolist() if kind == "int64" else t.to(f64).reshape(-1).tolist()
    return {"shape": list(t.shape), "dtype": kind, "data": data}


def run(op, inputs, wrt):
    leaves = {k: (v.clone().requires_grad_() if k in wrt else v) for k, v in inputs.items()}
    out = op(**leaves)
    w = torch.randn(out.shape, dtype=f64)
    (out.to(f64) * w).sum().backward()
    case = {k: enc(v) for k, v in inputs.items()}
    case.update(w=enc(w), out=enc(out))
    case.update({"grad_" + k: enc(leaves[k].grad) for k in wrt})
    return case


# LlamaRMSNorm.forward
def rms_norm(x, weight, eps=1e-6):
    input_dtype = x.dtype
    h = x.to(torch.float32) if input_dtype in (torch.float16, torch.bfloat16) else x
    variance = h.pow(2).mean(-1, keepdim=True)
    h = h * torch.rsqrt(variance + eps)
    return weight * h.to(input_dtype)


# LlamaRotaryEmbedding.forward (default rope): float32 tables of shape (B, T, D)
def rotary_tables(position_ids, dim, base):
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    inv_freq_expanded = inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
    position_ids_expanded = position_ids[:, None, :].float()
    freqs = (inv_freq_expanded @ position_ids_expanded).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary(x, cos, sin):  # apply_rotary_pos_emb for one tensor, unsqueeze_dim=1 done by the caller
    return (x * cos) + (rotate_half(x) * sin)


def repeat_kv(hidden_states, n_rep):
    batch, num_key_value_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_key_value_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_key_value_heads * n_rep, slen, head_dim)


def eager_attention(q, k, v, padding_mask):
    _, hq, t, d = q.shape
    s = k.shape[2]
    key_states = repeat_kv(k, hq // k.shape[1])
    value_states = repeat_kv(v, hq // v.shape[1])
    attn_weights = torch.matmul(q, key_states.transpose(2, 3)) * d ** -0.5
    min_value = torch.finfo(q.dtype).min
    causal = torch.full((t, s), min_value, dtype=q.dtype).triu(s - t + 1)  # query i sits at position s - t + i
    mask = causal[None, None].expand(q.shape[0], 1, t, s).clone()
    mask = mask.masked_fill(padding_mask[:, None, None, :] == 0, min_value)
    attn_weights = F.softmax(attn_weights + mask, dim=-1, dtype=q.dtype)
    return torch.matmul(attn_weights, value_states)


def swiglu(a, b):  # LlamaMLP: act_fn(gate_proj(x)) * up_proj(x), act_fn = silu
    return F.silu(a) * b


def logprobs(logits, targets, ignore_index=-100):
    ignored = targets == ignore_index
    logp = logits.log_softmax(-1).gather(-1, targets.masked_fill(ignored, 0).unsqueeze(-1)).squeeze(-1)
    return logp.masked_fill(ignored, 0)


positions = torch.tensor([[0, 1, 2, 3], [5, 6, 7, 8]])
cos, sin = rotary_tables(positions, 8, 10000.0)

golden = {
    "torch_version": torch.__version__,
    "rms_norm": run(lambda x, weight: rms_norm(x, weight, 1e-6),
                    {"x": torch.randn(2, 3, 16, dtype=f64), "weight": torch.randn(16, dtype=f64)}, ["x", "weight"]),
    "rotary_tables": {"positions": enc(positions), "head_dim": 8, "theta": 10000.0, "cos": enc(cos), "sin": enc(sin)},
    "rotary": run(lambda x, cos, sin: apply_rotary(x, cos, sin),
                  {"x": torch.randn(2, 3, 4, 8, dtype=f64), "cos": cos.to(f64)[:, None], "sin": sin.to(f64)[:, None]},
                  ["x"]),
    "causal_attention": run(eager_attention,
                            {"q": torch.randn(2, 4, 3, 8, dtype=f64), "k": torch.randn(2, 2, 5, 8, dtype=f64),
                             "v": torch.randn(2, 2, 5, 8, dtype=f64),
                             "padding_mask": torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])},
                            ["q", "k", "v"]),
    "swiglu": run(swiglu, {"a": 3 * torch.randn(3, 10, dtype=f64), "b": torch.randn(3, 10, dtype=f64)}, ["a", "b"]),
    "logprobs": run(logprobs,
                    {"logits": 3 * torch.randn(2, 4, 9, dtype=f64),
                     "targets": torch.tensor([[3, -100, 8, 0], [-100, -100, 5, 1]])},
                    ["logits"]),
}
print(json.dumps(golden))
