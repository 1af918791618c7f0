#!/usr/bin/env python3
"""An independent PyTorch reference of PEFT's prompt-learning and IA3 forwards on the parity fixtures' tiny models,
and the fixtures of PeftParityTests: for each case, the adapter's initial parameters (init.safetensors, PEFT's module
names), the logits of one sequence and the parameters after one SGD step on its next-token loss (expected.safetensors).

What it implements, from PEFT's source (peft_model.py PeftModelForCausalLM.forward / get_prompt, tuners/prefix_tuning,
tuners/prompt_tuning, tuners/p_tuning, tuners/ia3/layer.py):
- prefix tuning: the encoder output (P, L*2*token_dim) is viewed (P, L*2, Hkv, D) and permuted to (L*2, Hkv, P, D);
  layer i's past keys are entry 2i, its values 2i+1; they are cached as they are (no rotary), always visible, and the
  tokens' rotary positions are P..P+T-1 (the base model's cache_position starts at the past length).
- prompt tuning / P-tuning: the encoder output (P, hidden) is put before the token embeddings; positions 0..P+T-1,
  causal over all P+T; the logits of the last T rows belong to the tokens.
- IA3: k_proj and v_proj outputs (bias included) times ia3_l (out, 1) flattened; down_proj's input times ia3_l (1, in).
- bottleneck adapters (this project's layout, docs/bottleneck-adapters.md; PEFT has none): o + up(act(down(o))) on the
  attention output (houlsby only) and the feed-forward output (houlsby and pfeiffer), before the residual additions.
Encoders are torch.nn modules built as PEFT builds them (nn.Embedding, nn.Sequential of Linear/Tanh/ReLU, and
nn.LSTM(bidirectional=True, batch_first=True)), so the C# LSTM is checked against PyTorch's own.

Regenerate:  cd tests/Alignment.Models.Tests/reference && /usr/bin/python3 peft_reference.py
Everything is float64 here; the C# tests run float32.
"""
import json
import math
import os
import struct

import torch

import hf_reference as ref

F64 = torch.float64
HERE = os.path.dirname(os.path.abspath(__file__))
PARITY = os.path.join(HERE, "..", "Fixtures", "parity")
OUT = os.path.join(HERE, "..", "Fixtures", "peft")

IDS = [1, 7, 3, 12, 5, 9, 2, 30]
LR = 0.5

CASES = {
    # name: (model fixture, peft_type, options)
    "prefix_plain": ("llama_gqa_bias", "PREFIX_TUNING", dict(num_virtual_tokens=3)),
    "prefix_projection": ("mistral", "PREFIX_TUNING", dict(num_virtual_tokens=3, encoder_hidden_size=10)),
    "prompt_tuning": ("qwen3", "PROMPT_TUNING", dict(num_virtual_tokens=4)),
    "p_tuning_mlp": ("llama_gqa_bias", "P_TUNING", dict(num_virtual_tokens=3, encoder_hidden_size=10, type="MLP")),
    "p_tuning_lstm": ("qwen2_tied", "P_TUNING", dict(num_virtual_tokens=3, encoder_hidden_size=5, type="LSTM", layers=2)),
    "ia3": ("llama_gqa_bias", "IA3", dict()),
    "bottleneck_houlsby": ("llama_gqa_bias", "BOTTLENECK", dict(config="houlsby", reduction_factor=4, non_linearity="swish")),
    "bottleneck_pfeiffer": ("qwen3", "BOTTLENECK", dict(config="pfeiffer", reduction_factor=6, non_linearity="relu")),
}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def build_encoder(c, peft_type, o):
    """The PEFT encoder module for the model config c, float64."""
    L, hidden, hq, hkv, d = c["num_hidden_layers"], c["hidden_size"], c["num_attention_heads"], ref.kv_heads_of(c), ref.head_dim_of(c)
    P = o["num_virtual_tokens"]
    m = torch.nn.Module()
    if peft_type == "PREFIX_TUNING":
        token_dim = hidden // hq * hkv            # _prepare_prompt_learning_config's grouped-query adjustment
        assert token_dim == hkv * d
        if "encoder_hidden_size" in o:            # prefix_projection
            m.embedding = torch.nn.Embedding(P, token_dim)
            m.transform = torch.nn.Sequential(torch.nn.Linear(token_dim, o["encoder_hidden_size"]), torch.nn.Tanh(),
                                              torch.nn.Linear(o["encoder_hidden_size"], L * 2 * token_dim))
            m.encode = lambda: m.transform(m.embedding.weight)
        else:
            m.embedding = torch.nn.Embedding(P, L * 2 * token_dim)
            m.encode = lambda: m.embedding.weight
    elif peft_type == "PROMPT_TUNING":
        m.embedding = torch.nn.Embedding(P, hidden)
        m.encode = lambda: m.embedding.weight
    else:
        h = o["encoder_hidden_size"]
        m.embedding = torch.nn.Embedding(P, hidden)
        if o["type"] == "MLP":
            m.mlp_head = torch.nn.Sequential(torch.nn.Linear(hidden, h), torch.nn.ReLU(), torch.nn.Linear(h, h), torch.nn.ReLU(),
                                             torch.nn.Linear(h, hidden))
            m.encode = lambda: m.mlp_head(m.embedding.weight)
        else:
            m.lstm_head = torch.nn.LSTM(input_size=hidden, hidden_size=h, num_layers=o["layers"], dropout=0.0,
                                        bidirectional=True, batch_first=True)
            m.mlp_head = torch.nn.Sequential(torch.nn.Linear(2 * h, 2 * h), torch.nn.ReLU(), torch.nn.Linear(2 * h, hidden))
            m.encode = lambda: m.mlp_head(m.lstm_head(m.embedding.weight.unsqueeze(0))[0])[0]
    return m.to(F64)


ACT = {"relu": torch.relu, "swish": torch.nn.functional.silu, "gelu": torch.nn.functional.gelu, "tanh": torch.tanh}


def bottleneck(adapters, key, o):
    if adapters is None or key + ".adapter_down.weight" not in adapters:
        return o
    act = ACT[adapters["non_linearity"]]
    h = act(o @ adapters[key + ".adapter_down.weight"].T + adapters[key + ".adapter_down.bias"])
    return o + h @ adapters[key + ".adapter_up.weight"].T + adapters[key + ".adapter_up.bias"]


def forward(c, w, ids, peft_type, encoder=None, ia3=None, adapters=None):
    """Logits (T, vocab) of one sequence under the adapter."""
    mt = c["model_type"]
    eps = c.get("rms_norm_eps", 1e-6)
    hq, hkv, d, L = c["num_attention_heads"], ref.kv_heads_of(c), ref.head_dim_of(c), c["num_hidden_layers"]
    attention_bias = mt in ("llama", "qwen3") and c.get("attention_bias", False)
    qkv_bias = mt == "qwen2" or attention_bias
    mlp_bias = mt == "llama" and c.get("mlp_bias", False)
    T = len(ids)
    x = w["model.embed_tokens.weight"][torch.tensor(ids)]
    past = None
    P = 0
    if peft_type == "PREFIX_TUNING":
        E = encoder.encode()
        P = E.shape[0]
        kv = E.view(P, L * 2, hkv, d).permute(1, 2, 0, 3)    # (L*2, Hkv, P, D)
        past = [(kv[2 * i], kv[2 * i + 1]) for i in range(L)]
        positions = torch.arange(P, P + T, dtype=F64)
        S = T
    elif peft_type in ("PROMPT_TUNING", "P_TUNING"):
        E = encoder.encode()
        P = E.shape[0]
        x = torch.cat([E, x], 0)
        positions = torch.arange(0, P + T, dtype=F64)
        S = P + T
    else:
        positions = torch.arange(0, T, dtype=F64)
        S = T
    angles = positions[:, None] * ref.inv_freq_of(c)[None, :]
    emb = torch.cat((angles, angles), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    causal = torch.full((S, S), float("-inf"), dtype=F64).triu(1)
    if past is not None:
        causal = torch.cat([torch.zeros(S, P, dtype=F64), causal], 1)   # the prefix is visible to every token

    for i in range(L):
        p = f"model.layers.{i}."
        h = ref.rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = ref.linear(h, w, p + "self_attn.q_proj", qkv_bias).view(S, hq, d)
        k = ref.linear(h, w, p + "self_attn.k_proj", qkv_bias)
        v = ref.linear(h, w, p + "self_attn.v_proj", qkv_bias)
        if ia3 is not None:
            k = k * ia3[p + "self_attn.k_proj"].flatten()
            v = v * ia3[p + "self_attn.v_proj"].flatten()
        k, v = k.view(S, hkv, d), v.view(S, hkv, d)
        if mt == "qwen3":
            q = ref.rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = ref.rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
        q = q * cos + ref.rotate_half(q) * sin
        k = k * cos + ref.rotate_half(k) * sin
        if past is not None:
            k = torch.cat([past[i][0], k], 1)
            v = torch.cat([past[i][1], v], 1)
        k = k.repeat_interleave(hq // hkv, dim=0)
        v = v.repeat_interleave(hq // hkv, dim=0)
        attn = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d) + causal, dim=-1) @ v
        x = x + bottleneck(adapters, p + "attention_adapter", ref.linear(attn.transpose(0, 1).reshape(S, hq * d), w, p + "self_attn.o_proj", attention_bias))
        h = ref.rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        act = torch.nn.functional.silu(ref.linear(h, w, p + "mlp.gate_proj", mlp_bias)) * ref.linear(h, w, p + "mlp.up_proj", mlp_bias)
        if ia3 is not None:
            act = act * ia3[p + "mlp.down_proj"].flatten()
        x = x + bottleneck(adapters, p + "output_adapter", ref.linear(act, w, p + "mlp.down_proj", mlp_bias))
    hidden = ref.rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if c.get("tie_word_embeddings", False) else w["lm_head.weight"]
    return (hidden @ head.T)[S - T:]


def loss_of(logits, ids):
    """Mean next-token cross-entropy over the sequence."""
    return torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(ids[1:]))


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (model, peft_type, o) in CASES.items():
        torch.manual_seed(sum(map(ord, name)))
        c, w = ref.read_folder(os.path.join(PARITY, model))
        if peft_type == "BOTTLENECK":
            hidden, r = c["hidden_size"], c["hidden_size"] // o["reduction_factor"]
            params = {}
            for i in range(c["num_hidden_layers"]):
                for where in (["attention_adapter", "output_adapter"] if o["config"] == "houlsby" else ["output_adapter"]):
                    k = f"model.layers.{i}.{where}"
                    params[k + ".adapter_down.weight"] = torch.nn.Parameter(0.3 * torch.randn(r, hidden, dtype=F64))
                    params[k + ".adapter_down.bias"] = torch.nn.Parameter(0.3 * torch.randn(r, dtype=F64))
                    params[k + ".adapter_up.weight"] = torch.nn.Parameter(0.3 * torch.randn(hidden, r, dtype=F64))
                    params[k + ".adapter_up.bias"] = torch.nn.Parameter(0.3 * torch.randn(hidden, dtype=F64))
            init = {k: v.detach().clone() for k, v in params.items()}
            logits = forward(c, w, IDS, peft_type, adapters=dict(params, non_linearity=o["non_linearity"]))
            loss = loss_of(logits, IDS)
            loss.backward()
            with torch.no_grad():
                after = {k: v - LR * v.grad for k, v in params.items()}
        elif peft_type == "IA3":
            L = c["num_hidden_layers"]
            params = {}
            for i in range(L):
                p = f"model.layers.{i}."
                kv_out = ref.kv_heads_of(c) * ref.head_dim_of(c)
                # ones plus noise, so the vectors matter (PEFT starts at ones)
                params[p + "self_attn.k_proj"] = torch.nn.Parameter(1 + 0.3 * torch.randn(kv_out, 1, dtype=F64))
                params[p + "self_attn.v_proj"] = torch.nn.Parameter(1 + 0.3 * torch.randn(kv_out, 1, dtype=F64))
                params[p + "mlp.down_proj"] = torch.nn.Parameter(1 + 0.3 * torch.randn(1, c["intermediate_size"], dtype=F64))
            init = {f"{k}.ia3_l": v for k, v in params.items()}
            logits = forward(c, w, IDS, peft_type, ia3=params)
            loss = loss_of(logits, IDS)
            loss.backward()
            with torch.no_grad():
                after = {f"{k}.ia3_l": v - LR * v.grad for k, v in params.items()}
        else:
            enc = build_encoder(c, peft_type, o)
            init = {k: v.detach().clone() for k, v in enc.named_parameters()}
            logits = forward(c, w, IDS, peft_type, encoder=enc)
            loss = loss_of(logits, IDS)
            loss.backward()
            with torch.no_grad():
                after = {k: v - LR * v.grad for k, v in enc.named_parameters()}
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        write_safetensors(os.path.join(folder, "init.safetensors"), init)
        expected = {"logits": logits.detach()}
        expected.update({"after." + k: v for k, v in after.items()})
        write_safetensors(os.path.join(folder, "expected.safetensors"), expected)
        with open(os.path.join(folder, "case.json"), "w") as f:
            json.dump(dict(model=model, peft_type=peft_type, options=o, ids=IDS, lr=LR, loss=loss.item()), f, indent=1)
        print(name, model, peft_type, "loss", round(loss.item(), 6))


if __name__ == "__main__":
    main()
