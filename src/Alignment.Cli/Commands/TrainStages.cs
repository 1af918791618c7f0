using Alignment.Training.Config;
using Alignment.Training.Runtime;
using Alignment.Training.Trainers;
using Alignment.Workflows.Judging;

namespace Alignment.Cli.Commands;

/// <summary>One stage of `align train`: its name, what it does, its options type and how to run it.</summary>
public sealed record TrainStage(string Name, string Description, Type OptionsType, Func<object, string, ITrainingProgress, string> Run)
{
    /// <summary>Whether the stage's loop runs data-parallel (`--nproc N`, torchrun's variables).</summary>
    public bool DataParallel { get; init; }

    /// <summary>Why a stage that is not data-parallel runs in one process (said when --nproc asks for more).</summary>
    public string? SingleProcessReason { get; init; }
}

/// <summary>The stages `align train` knows, in the order the help lists them.</summary>
public static class TrainStages
{
    public static IReadOnlyList<TrainStage> All { get; } =
    [
        new("sft", "Supervised fine-tuning on {\"messages\"} or {\"prompt\",\"completion\"} rows (Alpaca, ShareGPT too).", typeof(SftOptions),
            (o, dir, p) => Summary(SftTrainer.Run((SftOptions)o, dir, p))) { DataParallel = true },
        new("upft", "Unsupervised prefix fine-tuning on {\"prompt\"} rows: the model answers each prompt and is tuned on the first prefix_length " +
                    "tokens of its answer (a share full_answer_ratio kept whole); no labels.", typeof(UpftOptions),
            (o, dir, p) => Summary(UpftTrainer.Run((UpftOptions)o, dir, p))) { DataParallel = true },
        new("rm", "Reward model (Bradley–Terry, optional margin column and centering) on {\"prompt\",\"chosen\",\"rejected\"} pairs.", typeof(RewardOptions),
            (o, dir, p) => Summary(RewardTrainer.Run((RewardOptions)o, dir, p))) { DataParallel = true },
        new("dpo", "DPO family (sigmoid, robust, hinge, ipo, simpo, orpo) on {\"prompt\",\"chosen\",\"rejected\"} pairs; reference log-probs precomputed once.", typeof(DpoOptions),
            (o, dir, p) => Summary(DpoTrainer.Run((DpoOptions)o, dir, p))) { DataParallel = true },
        new("kto", "KTO on unpaired {\"prompt\",\"completion\",\"label\"} rows.", typeof(KtoOptions),
            (o, dir, p) => Summary(KtoTrainer.Run((KtoOptions)o, dir, p))) { DataParallel = true },
        new("ppo", "PPO with a value head sharing the policy's trunk, on {\"prompt\"} rows scored by a reward model (reward_model) or reward functions (reward_funcs).", typeof(PpoOptions),
            (o, dir, p) => Summary(PpoTrainer.Run((PpoOptions)o, dir, p, factory: RuleReward.Create))) { DataParallel = true },
        new("grpo", "GRPO on {\"prompt\"} rows: num_generations samples per prompt, group-normalized advantages, rewards from reward_funcs (rules:FILE, model:FOLDER; weighted).", typeof(GrpoOptions),
            (o, dir, p) => Summary(GrpoTrainer.Run((GrpoOptions)o, dir, p, factory: RuleReward.Create))) { DataParallel = true },
        new("rloo", "RLOO on {\"prompt\"} rows: num_generations samples per prompt, leave-one-out baseline, KL in the reward; rewards from reward_funcs as grpo.", typeof(RlooOptions),
            (o, dir, p) => Summary(RlooTrainer.Run((RlooOptions)o, dir, p, factory: RuleReward.Create))) { DataParallel = true },
        new("online-dpo", "Online DPO on {\"prompt\"} rows: two samples per prompt ranked by reward_funcs (rules:FILE, model:FOLDER; weighted), then a DPO step against the starting model.", typeof(OnlineDpoOptions),
            (o, dir, p) => Summary(OnlineDpoTrainer.Run((OnlineDpoOptions)o, dir, p, factory: RuleReward.Create))) { DataParallel = true },
        new("best-of-n", "Sample n completions per {\"prompt\"}, keep the reward model's best, write best_of_n.jsonl (an SFT data set).", typeof(BestOfNOptions),
            (o, dir, p) => $"wrote {BestOfN.Run((BestOfNOptions)o, dir, p)} prompts' best samples to {BestOfN.OutputFile}")
        {
            SingleProcessReason = "it trains nothing (it samples and scores, one generator over the prompts in order, so sharding the " +
                                  "prompts would change the samples)",
        },
    ];

    private static string Summary(RunResult r) => $"trained {r.GlobalStep} of {r.TotalSteps} steps";
}
