#!/usr/bin/env python3
"""Independent PyTorch computation of GRPO/RLOO advantages and losses, and of log-probs under a processed sampling
distribution, written from the published formulas (TRL's GRPOTrainer._compute_loss and _generate_and_score_completions,
transformers' TemperatureLogitsWarper and TopPLogitsWarper). Writes grpo_golden.json, which
tests/Alignment.Training.Tests/GrpoMathTests.cs compares the C# implementation against (tolerance 1e-5).

  /usr/bin/python3 tests/Alignment.Training.Tests/reference/grpo_reference.py > tests/Alignment.Training.Tests/reference/grpo_golden.json
"""
import json
import torch

torch.manual_seed(20260612)
G = 4                      # completions per prompt
B, T, V = 8, 6, 11         # 2 prompts x 4 completions, 6 completion positions, 11-token vocabulary
MAX_COMPLETION = 7         # dr_grpo's constant (the configured max_completion_length, > T on purpose)

rewards = torch.tensor([1.0, 0.0, 3.0, 0.5, 2.0, 2.0, 2.0, 2.0], dtype=torch.float64)   # group 2 has zero std


def advantages(r, scale):
    grouped = r.view(-1, G)
    mean = grouped.mean(dim=1).repeat_interleave(G)
    std_group = grouped.std(dim=1).repeat_interleave(G)
    a = r - mean
    if scale == "group":
        a = a / (std_group + 1e-4)
    elif scale == "batch":
        a = a / (r.std() + 1e-4)
    return a, std_group


def rloo(r, k):
    grouped = r.view(-1, k)
    baseline = (grouped.sum(dim=1, keepdim=True) - grouped) / (k - 1)
    return (grouped - baseline).reshape(-1)


logps = (torch.randn(B, T, dtype=torch.float64) * 0.5 - 1.5)
old = logps + torch.randn(B, T, dtype=torch.float64) * 0.3       # ratios well outside [0.8, 1.28] for some tokens
ref = logps + torch.randn(B, T, dtype=torch.float64) * 0.2
lengths = torch.tensor([6, 3, 5, 1, 6, 2, 4, 6])
mask = (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).to(torch.float64)
adv, _ = advantages(rewards, "group")


def loss(lp, loss_type, eps_low, eps_high, beta, generation_tokens):
    coef_1 = torch.exp(lp - old)
    coef_2 = torch.clamp(coef_1, 1 - eps_low, 1 + eps_high)
    per_token = -torch.min(coef_1 * adv.unsqueeze(1), coef_2 * adv.unsqueeze(1))
    kl = torch.exp(ref - lp) - (ref - lp) - 1
    if beta != 0:
        per_token = per_token + beta * kl
    if loss_type == "grpo":
        value = ((per_token * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).mean()
    elif loss_type == "bnpo":
        value = (per_token * mask).sum() / mask.sum().clamp(min=1.0)
    elif loss_type == "dr_grpo":
        value = (per_token * mask).sum() / (per_token.size(0) * MAX_COMPLETION)
    else:  # dapo: normalized by the completion tokens of the whole generation batch
        value = (per_token * mask).sum() / generation_tokens
    a = adv.unsqueeze(1)
    low = ((coef_1 < 1 - eps_low) & (a < 0)).double()
    high = ((coef_1 > 1 + eps_high) & (a > 0)).double()
    n = mask.sum()
    return value, dict(kl=((kl * mask).sum() / n).item(), clip_low=((low * mask).sum() / n).item(),
                       clip_high=((high * mask).sum() / n).item(), clip_region=((((low + high) > 0).double()) * mask).sum().item() / n.item())


losses = []
for loss_type in ["grpo", "dr_grpo", "dapo", "bnpo"]:
    for eps_low, eps_high, beta in [(0.2, 0.2, 0.0), (0.2, 0.28, 0.04)]:
        lp = logps.clone().requires_grad_(True)
        value, metrics = loss(lp, loss_type, eps_low, eps_high, beta, generation_tokens=50.0)
        value.backward()
        losses.append(dict(loss_type=loss_type, eps_low=eps_low, eps_high=eps_high, beta=beta, generation_tokens=50.0,
                           loss=value.item(), grad=lp.grad.tolist(), **metrics))

# sft_alpha: RAFT-style NLL on each group's best completions (the highest reward of a group whose rewards differ; ties
# all count), alpha * sum of -log p over their tokens / their tokens in the generation batch, added to the policy loss.
sft_rewards = torch.tensor([3.0, 1.0, 3.0, -1.0, 2.0, 2.0, 2.0, 2.0], dtype=torch.float64)   # group 2: no winner
grouped = sft_rewards.view(-1, G)
has_winner = (grouped.max(dim=1).values > grouped.min(dim=1).values).unsqueeze(1)
selected = ((grouped == grouped.max(dim=1, keepdim=True).values) & has_winner).reshape(-1).double()
sft_cases = []
for loss_type, alpha in [("dapo", 0.5), ("grpo", 2.0)]:
    lp = logps.clone().requires_grad_(True)
    value, _ = loss(lp, loss_type, 0.2, 0.28, 0.0, generation_tokens=50.0)
    selected_mask = mask * selected.unsqueeze(1)
    sft_tokens = selected_mask.sum().item() + 3.0   # as if another minibatch of the generation batch held 3 more selected tokens
    value = value + alpha * (-(lp * selected_mask)).sum() / sft_tokens
    value.backward()
    sft_cases.append(dict(loss_type=loss_type, alpha=alpha, sft_tokens=sft_tokens, loss=value.item(), grad=lp.grad.tolist(),
                          nll=((-(logps * selected_mask)).sum() / selected_mask.sum()).item()))

# Processed sampling distribution: logits / 0.7, then top-p 0.8 (sort ascending, drop the prefix whose cumulative
# probability is <= 1 - top_p, keep the most likely token), log_softmax, gathered at the sampled tokens.
logits = torch.randn(2, 5, V, dtype=torch.float32) * 2
labels = torch.randint(0, V, (2, 5))
scaled = logits / 0.7
sorted_logits, sorted_index = torch.sort(scaled, descending=False)
cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
remove_sorted = cumulative <= (1 - 0.8)
remove_sorted[..., -1:] = False
remove = remove_sorted.scatter(-1, sorted_index, remove_sorted)
processed = scaled.masked_fill(remove, float("-inf"))
# a sampled token is always inside the nucleus: resample the labels from the processed distribution
labels = torch.multinomial(processed.softmax(-1).view(-1, V), 1).view(2, 5)
processed_logps = processed.log_softmax(-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)

print(json.dumps(dict(
    group_size=G, rewards=rewards.tolist(),
    advantages={s: advantages(rewards, s)[0].tolist() for s in ["group", "batch", "none"]},
    group_std=advantages(rewards, "group")[1].tolist(),
    rloo=rloo(rewards, G).tolist(),
    logps=logps.tolist(), old=old.tolist(), ref=ref.tolist(), mask=mask.tolist(), max_completion_length=MAX_COMPLETION,
    group_advantages=adv.tolist(), losses=losses,
    sft=dict(rewards=sft_rewards.tolist(), selected=selected.tolist(), cases=sft_cases),
    sampling=dict(temperature=0.7, top_p=0.8, logits=logits.tolist(), labels=labels.tolist(), logps=processed_logps.tolist()),
), indent=1))
