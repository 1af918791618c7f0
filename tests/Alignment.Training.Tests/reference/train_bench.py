#!/usr/bin/env python3
"""PyTorch eager side of `align bench train` (Debian's python3-torch; nothing else needed).

Same model shapes as src/Alignment.Cli/Bench/TrainBench.cs — Llama with RMSNorm, RoPE (rotate_half), grouped-query
attention, SwiGLU, untied lm_head, vocabulary 4096, seq 256, batch 8 — written the plain eager way:

  sft-256 / sft-512  one AdamW step (forward, cross-entropy over all tokens, backward, clip 1.0) on 8 x 256 tokens;
                     tokens/s from the median step.
  dpo-256 / dpo-512  the loop the issue compares against: every step pads its 8 pairs to 256 tokens, runs the
                     REFERENCE model (a second resident copy, no grad) on chosen+rejected, then the policy with grad,
                     sigmoid DPO loss, backward, clip, AdamW; 64 pairs of the same length distribution; pairs/s.

Each case runs in its own process (peak RSS = ru_maxrss of that process). Usage:
  /usr/bin/python3 train_bench.py [--threads 2] [--steps 3] [--tuned]      # prints one JSON object

--tuned runs the cases with the process settings `align` applies to itself (src/Alignment.Torch: OMP_WAIT_POLICY=PASSIVE,
and glibc malloc keeping big blocks in its heap: MALLOC_MMAP_MAX_=0, MALLOC_TRIM_THRESHOLD_=1 GiB), so the comparison
can be made with and without them on the PyTorch side too.
"""
import argparse, json, math, os, resource, subprocess, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, SEQ, BATCH, PAIRS = 4096, 256, 8, 64
CONFIGS = {256: dict(hidden=256, layers=4, heads=8, kv=4, inter=688), 512: dict(hidden=512, layers=8, heads=8, kv=4, inter=1376)}


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__(); self.weight = nn.Parameter(torch.ones(d)); self.eps = eps
    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), -1)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, h, kv = c["hidden"], c["heads"], c["kv"]
        self.h, self.kv, self.hd = h, kv, d // h
        self.q = nn.Linear(d, h * self.hd, bias=False); self.k = nn.Linear(d, kv * self.hd, bias=False)
        self.v = nn.Linear(d, kv * self.hd, bias=False); self.o = nn.Linear(h * self.hd, d, bias=False)
        self.gate = nn.Linear(d, c["inter"], bias=False); self.up = nn.Linear(d, c["inter"], bias=False); self.down = nn.Linear(c["inter"], d, bias=False)
        self.n1, self.n2 = RMSNorm(d), RMSNorm(d)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        y = self.n1(x)
        q = self.q(y).view(b, t, self.h, self.hd).transpose(1, 2)
        k = self.k(y).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.v(y).view(b, t, self.kv, self.hd).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        rep = self.h // self.kv
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd) + mask
        x = x + self.o((att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1))
        y = self.n2(x)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, c["hidden"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["hidden"]); self.head = nn.Linear(c["hidden"], VOCAB, bias=False)
        hd = c["hidden"] // c["heads"]
        inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
        f = torch.outer(torch.arange(SEQ).float(), inv)
        emb = torch.cat((f, f), -1)
        self.cos, self.sin = emb.cos(), emb.sin()

    def forward(self, ids, attn):
        t = ids.shape[1]
        causal = torch.full((t, t), float("-inf")).triu(1)
        mask = causal[None, None] + torch.where(attn[:, None, None, :] > 0, 0.0, float("-inf"))
        x = self.embed(ids)
        for l in self.layers:
            x = l(x, self.cos[:t], self.sin[:t], mask)
        return self.head(self.norm(x))


def seq_logps(logits, labels):
    lp = torch.log_softmax(logits[:, :-1].float(), -1)
    tgt = labels[:, 1:]
    m = tgt != -100
    g = lp.gather(-1, tgt.clamp(min=0).unsqueeze(-1)).squeeze(-1) * m
    return g.sum(-1)


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def sft(c, steps):
    torch.manual_seed(1234)
    model = Llama(c); opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    ids = torch.randint(0, VOCAB, (BATCH, SEQ)); attn = torch.ones_like(ids)
    times = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        logits = model(ids, attn)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), ids[:, 1:].reshape(-1))
        loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); opt.zero_grad()
        if i > 0: times.append(time.perf_counter() - t0)
    times.sort()
    return dict(tokens_per_second=BATCH * SEQ / times[len(times) // 2], parameters=sum(p.numel() for p in model.parameters()))


def dpo(c):
    torch.manual_seed(1234)
    policy = Llama(c); reference = Llama(c); reference.load_state_dict(policy.state_dict()); reference.eval()
    for p in reference.parameters(): p.requires_grad_(False)
    opt = torch.optim.AdamW(policy.parameters(), lr=1e-6)
    g = torch.Generator().manual_seed(11)
    def r(lo, hi): return int(torch.randint(lo, hi + 1, (1,), generator=g))
    pairs = []
    for _ in range(PAIRS):
        p = r(16, 64)
        pairs.append((p, r(8, SEQ - p), r(8, SEQ - p)))
    def batch(rows):   # padded to SEQ: chosen rows then rejected rows
        ids = torch.randint(0, VOCAB, (2 * len(rows), SEQ), generator=g)
        attn = torch.zeros_like(ids); labels = torch.full_like(ids, -100)
        for j, (p, a, b) in enumerate(rows):
            for k, n in ((j, a), (j + len(rows), b)):
                attn[k, :p + n] = 1; labels[k, p:p + n] = ids[k, p:p + n]
        return ids, attn, labels
    def step(rows):
        ids, attn, labels = batch(rows)
        with torch.no_grad():
            ref = seq_logps(reference(ids, attn), labels)
        pol = seq_logps(policy(ids, attn), labels)
        n = len(rows)
        h = (pol[:n] - ref[:n]) - (pol[n:] - ref[n:])
        loss = -F.logsigmoid(0.1 * h).mean()
        loss.backward(); torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0); opt.step(); opt.zero_grad()
    step(pairs[:BATCH])   # warm-up
    t0 = time.perf_counter()
    for s in range(0, PAIRS, BATCH): step(pairs[s:s + BATCH])
    return dict(pairs_per_second=PAIRS / (time.perf_counter() - t0), parameters=sum(p.numel() for p in policy.parameters()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2); ap.add_argument("--steps", type=int, default=3); ap.add_argument("--case")
    ap.add_argument("--tuned", action="store_true", help="run the cases with align's OpenMP and malloc settings")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.case:
        kind, size = a.case.split("-")
        c = CONFIGS[int(size)]
        res = sft(c, a.steps) if kind == "sft" else dpo(c)
        res.update(case=a.case, peak_rss_mb=peak_mb())
        print(json.dumps(res)); return
    env = dict(os.environ)
    if a.tuned: env.update(OMP_WAIT_POLICY="PASSIVE", MALLOC_MMAP_MAX_="0", MALLOC_TRIM_THRESHOLD_=str(1 << 30))
    results = []
    for case in ("sft-256", "dpo-256", "sft-512", "dpo-512"):
        out = subprocess.run([sys.executable, __file__, "--threads", str(a.threads), "--steps", str(a.steps), "--case", case], capture_output=True, text=True, check=True, env=env)
        results.append(json.loads(out.stdout))
    print(json.dumps(dict(benchmark="train (PyTorch eager)", torch=torch.__version__, threads=a.threads, tuned=a.tuned, results=results), indent=2))


if __name__ == "__main__":
    main()
