#!/usr/bin/env python3
"""Independent PyTorch computation of online DPO's loss and metrics on fixed log-probs, written from the published
formulas (TRL's OnlineDPOTrainer.training_step: pairs are sample 1 then sample 2 of the same prompts, chosen = the
higher reward, h = (pi_c - ref_c) - (pi_r - ref_r) on summed completion log-probs, sigmoid -log sigmoid(beta h) or ipo
(h - 1/(2 beta))^2), with this project's documented choices: pairs whose rewards tie are left out of the loss (mean over
the untied pairs), and the sums (also of objective/kl and objective/entropy) run over completion tokens only.
Writes online_dpo_golden.json, which tests/Alignment.Training.Tests/OnlineDpoMathTests.cs compares against
(tolerance 1e-5; the C# side computes in float32).

  /usr/bin/python3 tests/Alignment.Training.Tests/reference/online_dpo_reference.py > tests/Alignment.Training.Tests/reference/online_dpo_golden.json
"""
import json
import torch
import torch.nn.functional as F

torch.manual_seed(20261203)
B, T = 5, 6                          # 5 prompts -> 10 completions, 6 completion positions
rewards = torch.tensor([1.0, 0.0, 2.0, 0.5, -1.0,      # sample 1 of prompts 0..4
                        0.0, 3.0, 2.0, 0.5, 4.0], dtype=torch.float64)   # sample 2: prompts 2 and 3 tie
logps = torch.randn(2 * B, T, dtype=torch.float64) * 0.5 - 1.5
ref = logps + torch.randn(2 * B, T, dtype=torch.float64) * 0.3
lengths = torch.tensor([6, 3, 5, 1, 6, 2, 4, 6, 3, 5])
mask = (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).to(torch.float64)


def compute(loss_type, beta):
    lp = logps.clone().requires_grad_(True)
    first, second = rewards[:B], rewards[B:]
    first_chosen = first >= second
    tied = first == second
    idx = torch.arange(B)
    c = torch.where(first_chosen, idx, idx + B)
    r = torch.where(first_chosen, idx + B, idx)
    s = (lp * mask).sum(1)
    rs = (ref * mask).sum(1)
    h = (s[c] - rs[c]) - (s[r] - rs[r])
    if loss_type == "sigmoid":
        losses = -F.logsigmoid(beta * h)
    else:
        losses = (h - 1 / (2 * beta)) ** 2
    keep = (~tied).to(torch.float64)
    loss = (losses * keep).sum() / keep.sum().clamp(min=1)
    loss.backward()
    with torch.no_grad():
        kl = ((lp - ref) * mask).sum(1).mean()
        chosen_r = beta * (s[c] - rs[c])
        rejected_r = beta * (s[r] - rs[r])
        margins = chosen_r - rejected_r
        metrics = {
            "objective/kl": kl.item(),
            "objective/entropy": (-s).mean().item(),
            "objective/non_score_reward": (-beta * kl).item(),
            "objective/rlhf_reward": (rewards + (-beta * ((lp - ref) * mask).sum(1))).mean().item(),
            "objective/scores": rewards.mean().item(),
            "objective/scores_margin": (rewards[c] - rewards[r]).mean().item(),
            "rewards/chosen": chosen_r.mean().item(),
            "rewards/rejected": rejected_r.mean().item(),
            "rewards/accuracies": (margins > 0).double().mean().item(),
            "rewards/margins": margins.mean().item(),
            "logps/chosen": s[c].mean().item(),
            "logps/rejected": s[r].mean().item(),
            "beta": beta,
            "frac_tied_pairs": tied.double().mean().item(),
        }
    return {"loss_type": loss_type, "beta": beta, "loss": loss.item(), "grad": lp.grad.tolist(), "metrics": metrics,
            "chosen": c.tolist()}


print(json.dumps({"rewards": rewards.tolist(), "logps": logps.tolist(), "ref": ref.tolist(), "mask": mask.tolist(),
                  "cases": [compute("sigmoid", 0.1), compute("sigmoid", 0.5), compute("ipo", 0.1)]}, indent=1))
