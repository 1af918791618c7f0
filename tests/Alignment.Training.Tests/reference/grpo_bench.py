#!/usr/bin/env python3
"""PyTorch eager side of `align bench train`'s grpo-256 case (Debian's python3-torch; nothing else needed).

The same GRPO step on the same shapes as src/Alignment.Cli/Bench/TrainBench.cs, written the plain eager way (what a
TRL GRPOTrainer step does without vLLM, minus its bookkeeping): the d=256/4-layer Llama of train_bench.py (RMSNorm,
RoPE, grouped-query attention, SwiGLU, untied head, vocabulary 4096); 4 prompts of 32 random tokens x 8 samples each;
64 new tokens sampled one at a time with a key/value cache at temperature 1 (no EOS, so every step has the same shapes);
reward = how many sampled tokens are = 3 mod 10; group-normalized advantages (std + 1e-4); one forward/backward of the
32 prompt+completion sequences with the clipped surrogate aggregated over completion tokens (dapo), clip 1.0, AdamW.
One warm-up step, then --steps timed steps. Prints one JSON object: generated tokens/s (the sampling phase),
optimizer steps/s (whole steps) and peak RSS (ru_maxrss of this process). Usage:
  /usr/bin/python3 grpo_bench.py [--threads 2] [--steps 3]
"""
import argparse, json, math, os, resource, sys, time
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_bench import CONFIGS, Llama, rotate_half, VOCAB  # noqa: E402

PROMPTS, G, PROMPT_LEN, NEW_TOKENS = 4, 8, 32, 64


def layer_cached(l, x, cos, sin, start, cache):
    b, t, _ = x.shape
    y = l.n1(x)
    q = l.q(y).view(b, t, l.h, l.hd).transpose(1, 2)
    k = l.k(y).view(b, t, l.kv, l.hd).transpose(1, 2)
    v = l.v(y).view(b, t, l.kv, l.hd).transpose(1, 2)
    q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
    if cache is not None:
        k, v = torch.cat((cache[0], k), 2), torch.cat((cache[1], v), 2)
    new_cache = (k, v)
    rep = l.h // l.kv
    k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
    att = (q @ k.transpose(-1, -2)) / math.sqrt(l.hd)
    if t > 1:
        att = att + torch.full((t, start + t), float("-inf")).triu(start + 1)
    x = x + l.o((att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1))
    y = l.n2(x)
    return x + l.down(F.silu(l.gate(y)) * l.up(y)), new_cache


def last_logits(model, ids, start, caches):
    t = ids.shape[1]
    x = model.embed(ids)
    cos, sin = model.cos[start:start + t], model.sin[start:start + t]
    out = []
    for l, c in zip(model.layers, caches):
        x, nc = layer_cached(l, x, cos, sin, start, c)
        out.append(nc)
    return model.head(model.norm(x[:, -1])), out


@torch.no_grad()
def generate(model, prompts, g):
    ids = prompts
    logits, caches = last_logits(model, ids, 0, [None] * len(model.layers))
    for i in range(NEW_TOKENS):
        nxt = torch.multinomial(torch.softmax(logits.float(), -1), 1, generator=g)
        ids = torch.cat((ids, nxt), 1)
        if i + 1 < NEW_TOKENS:
            logits, caches = last_logits(model, nxt, ids.shape[1] - 1, caches)
    return ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2); ap.add_argument("--steps", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1234)
    model = Llama(CONFIGS[256]); model.eval()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-6)
    g = torch.Generator().manual_seed(99)
    prompts = torch.randint(0, VOCAB, (PROMPTS, PROMPT_LEN), generator=g).repeat_interleave(G, 0)
    mask = torch.zeros(PROMPTS * G, PROMPT_LEN + NEW_TOKENS - 1)
    mask[:, PROMPT_LEN - 1:] = 1
    gen_s = step_s = 0.0
    generated = 0
    for i in range(a.steps + 1):
        t0 = time.perf_counter()
        ids = generate(model, prompts, g)
        t1 = time.perf_counter()
        rewards = ((ids[:, PROMPT_LEN:] % 10) == 3).sum(1).double()
        grouped = rewards.view(-1, G)
        adv = ((grouped - grouped.mean(1, keepdim=True)) / (grouped.std(1, keepdim=True) + 1e-4)).reshape(-1).float()
        logits = model(ids, torch.ones_like(ids))
        lp = torch.log_softmax(logits[:, :-1].float(), -1).gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
        ratio = torch.exp(lp - lp.detach())
        per_token = -torch.min(ratio * adv[:, None], ratio.clamp(0.8, 1.2) * adv[:, None])
        loss = (per_token * mask).sum() / mask.sum()
        loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); opt.zero_grad()
        if i > 0:
            gen_s += t1 - t0; step_s += time.perf_counter() - t0; generated += PROMPTS * G * NEW_TOKENS
    print(json.dumps(dict(benchmark="grpo-256 (PyTorch eager)", torch=torch.__version__, threads=a.threads, steps=a.steps,
                          generated_tokens_per_second=generated / gen_s, steps_per_second=a.steps / step_s,
                          peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                          parameters=sum(p.numel() for p in model.parameters()))))


if __name__ == "__main__":
    main()
