#!/usr/bin/env python3
"""Writes the `align demo` data set: single-digit addition with a house style.

    python3 data/demo/generate.py --out data/demo

Deterministic (a fixed seed, Python's own Mersenne Twister, no third-party packages): the same script gives the same
bytes, and a test checks that the committed files are what it writes. See README.md beside it for what each file holds.

The preference the demo teaches: answer "The answer is 7." (the house style: the answer and nothing else), correctly. The SFT data is of mixed
quality and the chatty style is its plurality, so the SFT policy's greedy answer is chatty; the scripted judge
(judge-rules.json) prefers the house style and the right sum, so DPO/PPO on its judgments can move the policy.
"""

import argparse
import json
import os
import random

SEED = 20261122

# Ways to ask; {a} and {b} are single digits. Every prompt string appears in exactly one split.
PHRASINGS = [
    "What is {a} plus {b}?",
    "What's {a} + {b}?",
    "Add {a} and {b}.",
    "How much is {a} plus {b}?",
    "Compute {a} + {b}.",
]

# The unwanted, chatty style (several variants so the model cannot just copy one string).
CHATTY = [
    "Sure! Let me work it out. The answer is {c}. Hope this helps!",
    "Sure! Let me think about it. The answer is {c}. Hope this helps!",
    "Sure! Great question. The answer is {c}. Hope this helps!",
]

# Shares of the SFT answers: chatty and right, house style and right, wrong sum (half chatty, half house style).
SFT_SHARES = (("chatty", 0.55), ("house", 0.30), ("wrong", 0.15))

SFT_PROMPTS = 300          # distinct prompt strings of the SFT split (the rest: sampling and held-out)
SFT_ROWS_PER_PROMPT = 3    # answers per SFT prompt, each drawn with the shares above
SAMPLE_PROMPTS = 160       # the first SFT prompts, answered by the SFT policy for comparisons (and PPO rollouts)
HELD_OUT_PROMPTS = 200     # distinct held-out prompt strings (evaluation and the reward model's held-out pairs)


def house(a, b, c):
    return f"The answer is {c}."


def chatty(rng, c):
    return rng.choice(CHATTY).format(c=c)


def wrong_sum(rng, a, b):
    c = a + b
    return c + rng.choice([-2, -1, 1, 2]) if c >= 2 else c + rng.choice([1, 2])


def sft_answer(rng, a, b):
    u = rng.random()
    if u < SFT_SHARES[0][1]:
        return chatty(rng, a + b)
    if u < SFT_SHARES[0][1] + SFT_SHARES[1][1]:
        return house(a, b, a + b)
    w = wrong_sum(rng, a, b)
    return chatty(rng, w) if rng.random() < 0.5 else house(a, b, w)


def held_out_pair(rng, a, b):
    """A preference pair the judge would decide: the house style and right sum beats one flaw or two. The group names
    what differs, so a reward model's accuracy can be read per property ("correctness" pairs differ only in the sum)."""
    chosen = house(a, b, a + b)
    kind = rng.randrange(3)
    if kind == 0:
        return chosen, chatty(rng, a + b), "style"
    if kind == 1:
        return chosen, house(a, b, wrong_sum(rng, a, b)), "correctness"
    return chosen, chatty(rng, wrong_sum(rng, a, b)), "style and correctness"


def write_jsonl(path, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def judge_rules():
    return {
        "description": "align demo judge: correctness first (a wrong sum never beats a right one; two wrong sums are both bad), then the house style ('The answer is 7.') over chatty answers.",
        "references": "references.jsonl",
        "rules": [
            {"name": "right sum", "matchesReference": True, "score": 3, "gate": True},
            {"name": "house style", "regex": "^The answer is \\d+\\.$", "score": 2},
            {"name": "chatty", "regex": "(?i)\\b(sure|great question|hope this helps)\\b", "score": -1},
            {"name": "empty", "maxLength": 0, "score": -2},
        ],
        "tie": 0,
        "bothBadBelow": None,
        "strengthStep": 1,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder to write the data set into (created if missing)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(SEED)

    questions = [(p.format(a=a, b=b), a, b) for a in range(10) for b in range(10) for p in PHRASINGS]
    rng.shuffle(questions)
    sft_q = questions[:SFT_PROMPTS]
    held_q = questions[SFT_PROMPTS:SFT_PROMPTS + HELD_OUT_PROMPTS]

    sft = []
    for prompt, a, b in sft_q:
        for _ in range(SFT_ROWS_PER_PROMPT):
            sft.append({"messages": [{"role": "user", "content": prompt},
                                     {"role": "assistant", "content": sft_answer(rng, a, b)}]})
    rng.shuffle(sft)

    write_jsonl(os.path.join(args.out, "sft.jsonl"), sft)
    write_jsonl(os.path.join(args.out, "prompts.jsonl"), [{"prompt": p} for p, _, _ in sft_q[:SAMPLE_PROMPTS]])
    # Every SFT prompt once (the answers left out): the prompts of the demo's RL with verifiable rewards (GRPO).
    write_jsonl(os.path.join(args.out, "rl-prompts.jsonl"), [{"prompt": p} for p, _, _ in sft_q])
    write_jsonl(os.path.join(args.out, "eval-prompts.jsonl"), [{"prompt": p} for p, _, _ in held_q])
    pairs = []
    for prompt, a, b in held_q:
        chosen, rejected, group = held_out_pair(rng, a, b)
        pairs.append({"prompt": prompt, "chosen": chosen, "rejected": rejected, "group": group})
    write_jsonl(os.path.join(args.out, "eval-preferences.jsonl"), pairs)
    # The wanted answer in full, for the text metrics (ROUGE, BLEU, exact match) of Evaluate.
    write_jsonl(os.path.join(args.out, "eval-references.jsonl"),
                [{"prompt": p, "reference": house(a, b, a + b)} for p, a, b in held_q])
    # "is 7", not "7": an operand can equal the sum ("Add 7 and 0."), and "7 plus 0 is 8." must not count as right.
    write_jsonl(os.path.join(args.out, "references.jsonl"),
                [{"prompt": p, "reference": f"is {a + b}"} for p, a, b in sorted(questions)])
    write_json(os.path.join(args.out, "judge-rules.json"), judge_rules())


if __name__ == "__main__":
    main()
