using System.Text.Json.Nodes;
using Alignment.Training.Trainers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.BestOfN</c>: rejection sampling (<c>align train best-of-n</c>): n seeded samples per prompt from a
/// policy, each scored by a reward model; the best per prompt becomes an SFT data set <c>{"prompt","completion","score"}</c>
/// (for an Sft stage), every sample with its score a candidates data set.
/// </summary>
public sealed class BestOfNActivity : IStageActivity
{
    public const string TypeName = "Alignment.BestOfN";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Training", "Best of N",
        "Samples n answers per prompt, keeps the reward model's best as an SFT data set (rejection sampling).",
        [
            new InputDescriptor("model", InputType.Artifact, "The policy to sample from.", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("rewardModel", InputType.Artifact, "The reward model that scores the samples.", Required: true, ArtifactKind: ArtifactKind.RewardModel),
            new InputDescriptor("prompts", InputType.Artifact, "Prompts dataset: rows {\"prompt\"}.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            .. TrainerStage.Inputs<BestOfNOptions>(),
        ],
        [
            new OutputDescriptor("dataset", OutputType.Artifact, "The best sample per prompt: SFT rows {\"prompt\",\"completion\",\"score\"}.", ArtifactKind.Dataset),
            new OutputDescriptor("candidates", OutputType.Artifact, "Every sample with its score: {\"index\",\"prompt\",\"completion\",\"score\"}.", ArtifactKind.Dataset),
            new OutputDescriptor("meanScore", OutputType.Number, "Mean reward-model score of the kept samples."),
            new OutputDescriptor("rows", OutputType.Number, "Prompts written."),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var inputs = context.Inputs;
        var paths = new Dictionary<string, object?>
        {
            ["model"] = inputs.Artifact("model").Path,
            ["reward_model"] = inputs.Artifact("rewardModel").Path,
            ["data"] = inputs.Artifact("prompts").Path,
        };
        var options = TrainerStage.Bind<BestOfNOptions>(context, paths);
        double meanScore = double.NaN;
        int rows = TrainerStage.Run(context, "best-of-n", null, (dir, progress) => BestOfN.Run(options, dir, progress), (dir, _) =>
        {
            string best = Path.Combine(dir, BestOfN.OutputFile), all = Path.Combine(dir, BestOfN.CandidatesFile);
            var scores = File.ReadLines(best).Where(l => l.Length > 0).Select(l => (double)JsonNode.Parse(l)!["score"]!).ToList();
            meanScore = scores.Count == 0 ? double.NaN : scores.Average();
            context.WriteFile("dataset", temp => File.Copy(best, temp, overwrite: true));
            context.WriteFile("candidates", temp => File.Copy(all, temp, overwrite: true));
        });
        TrainerStage.SetMetric(context, "meanScore", meanScore);
        context.SetValue("rows", rows);
        context.Log($"best-of-n: {rows} prompts × {options.N} samples, mean kept score {TrainerStage.Text(meanScore)}");
        return Task.FromResult(StageResult.Completed);
    }
}
