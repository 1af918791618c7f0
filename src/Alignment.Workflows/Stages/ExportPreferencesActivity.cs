using System.Text.Json.Nodes;
using Alignment.Data.ImportExport;
using Alignment.Data.Model;
using Alignment.Training.Datasets;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.ExportPreferences</c>: judgments become a TRL preference dataset <c>{"prompt", "chosen", "rejected",
/// "margin"}</c>, one row per comparison whose label is A or B, aggregated with Data's <c>PreferenceAggregator</c>
/// (an adjudication wins, else the strict majority; margin = mean |strength| / 3 of the majority's votes). Ties,
/// both_bad, split votes and comparisons below <c>minMargin</c> are left out and counted.
/// </summary>
public sealed class ExportPreferencesActivity : IStageActivity
{
    public const string TypeName = "Alignment.ExportPreferences";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Labeling", "Export preferences",
        "Aggregates judgments into TRL preference pairs with reward margins.",
        [
            new InputDescriptor("judgments", InputType.Artifact, "Judgments (from CollectJudgments).", Required: true, ArtifactKind: ArtifactKind.Judgments),
            new InputDescriptor("minMargin", InputType.Number, "Leave out pairs whose margin is below this (0..1).", Default: 0.0),
        ],
        [
            new OutputDescriptor("preferences", OutputType.Artifact, "TRL preference JSONL {prompt, chosen, rejected, margin}.", ArtifactKind.Dataset),
            new OutputDescriptor("pairs", OutputType.Number, "Preference rows written."),
            new OutputDescriptor("ties", OutputType.Number, "Comparisons labeled tie or both_bad (not exported)."),
            new OutputDescriptor("unlabeled", OutputType.Number, "Comparisons without a label (split vote, no votes) or below minMargin."),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        double minMargin = context.Inputs.Double("minMargin");
        var rows = JudgmentSnapshot.Load(context.Inputs.Artifact("judgments").Path);
        var pairs = new List<JsonObject>();
        int ties = 0, unlabeled = 0;
        foreach (var row in rows)
        {
            var votes = row.Votes.Select(v => new Vote(OutcomeCodes.Parse(v.Outcome), v.Strength)).ToList();
            var label = PreferenceAggregator.Aggregate(votes, row.Adjudication);
            if (label is null) { unlabeled++; continue; }
            if (label.Outcome is Outcome.Tie or Outcome.BothBad) { ties++; continue; }
            if (label.Margin < minMargin) { unlabeled++; continue; }
            var c = row.Comparison;
            var (chosen, rejected) = label.Outcome == Outcome.A ? (c.ResponseA, c.ResponseB) : (c.ResponseB, c.ResponseA);
            pairs.Add(new JsonObject { ["prompt"] = c.Prompt, ["chosen"] = chosen, ["rejected"] = rejected, ["margin"] = Math.Round(label.Margin, 6) });
        }
        if (pairs.Count == 0)
            throw new WorkflowException($"no comparison has a preference label: {rows.Count} comparisons, {ties} tie or both_bad, {unlabeled} split, unjudged or below minMargin {minMargin}");

        context.WriteFile("preferences", temp =>
        {
            JsonLines.Write(temp, pairs);
            DatasetReader.ReadPreferences(temp); // the file must be readable by the trainers
        });
        context.SetValue("pairs", pairs.Count);
        context.SetValue("ties", ties);
        context.SetValue("unlabeled", unlabeled);
        context.Log($"{pairs.Count} preference pairs, {ties} ties or both_bad, {unlabeled} without a label");
        return Task.FromResult(StageResult.Completed);
    }
}
