using Alignment.Workflows;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Tests;

/// <summary>
/// <c>Alignment.Test.Gate</c>: deterministic test stage. Writes a report artifact "gate LABEL after HASH". With a
/// flag folder it first writes half an artifact to the store's temp folder, creates <c>reached-LABEL</c> and waits
/// for <c>release-LABEL</c> (honouring cancellation): a deterministic place to kill or cancel a run.
/// </summary>
public sealed class TestGateActivity : IStageActivity
{
    public ActivityDescriptor Descriptor { get; } = new(
        "Alignment.Test.Gate", 1, "Test", "Gate", "Test stage: optionally waits on a flag file, then writes a report.",
        [
            new InputDescriptor("label", InputType.String, "Label written into the report.", Required: true),
            new InputDescriptor("after", InputType.Artifact, "An artifact whose hash goes into the report.", ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("flagDir", InputType.String, "Folder for reached-/release- flag files; empty: no wait.", Default: "", AffectsCache: false),
        ],
        [new OutputDescriptor("report", OutputType.Artifact, "The report.", ArtifactKind.Report)]);

    public async Task<StageResult> ExecuteAsync(StageContext context)
    {
        string label = context.Inputs.String("label");
        string flags = context.Inputs.String("flagDir");
        if (flags.Length > 0)
        {
            File.WriteAllText(context.Artifacts.NewTempPath(), "half an artifact");
            File.WriteAllText(Path.Combine(flags, $"reached-{label}"), context.InstanceId);
            while (!File.Exists(Path.Combine(flags, $"release-{label}")))
                await Task.Delay(20, context.Cancellation);
        }
        string after = context.Inputs.Has("after") ? context.Inputs.Artifact("after").Hash : "nothing";
        context.WriteFile("report", temp => File.WriteAllText(temp, $"gate {label} after {after}\n"));
        return StageResult.Completed;
    }
}

/// <summary>
/// <c>Alignment.Test.Flaky</c>: fails <c>transientFailures</c> times with a transient error (counting attempts in
/// <c>counterFile</c>), then fails for good while <c>breakFile</c> exists, else writes a report.
/// </summary>
public sealed class TestFlakyActivity : IStageActivity
{
    public ActivityDescriptor Descriptor { get; } = new(
        "Alignment.Test.Flaky", 1, "Test", "Flaky", "Test stage: transient failures, then a permanent one while a file exists.",
        [
            new InputDescriptor("transientFailures", InputType.Integer, "Transient failures before success.", Default: 0),
            new InputDescriptor("counterFile", InputType.String, "Counts attempts.", Required: true, AffectsCache: false),
            new InputDescriptor("breakFile", InputType.String, "While this file exists the stage fails permanently.", Default: "", AffectsCache: false),
        ],
        [new OutputDescriptor("report", OutputType.Artifact, "The report.", ArtifactKind.Report)]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        string counter = context.Inputs.String("counterFile");
        int attempts = (File.Exists(counter) ? int.Parse(File.ReadAllText(counter)) : 0) + 1;
        File.WriteAllText(counter, attempts.ToString());
        if (attempts <= context.Inputs.Int("transientFailures")) throw new TransientStageException($"flaky attempt {attempts}");
        if (context.Inputs.String("breakFile") is { Length: > 0 } broken && File.Exists(broken)) throw new WorkflowException($"broken: {broken} exists");
        context.WriteFile("report", temp => File.WriteAllText(temp, "flaky done\n"));
        return Task.FromResult(StageResult.Completed);
    }
}
