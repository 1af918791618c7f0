using System.Text.Json.Nodes;
using Alignment.Data.Annotators;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Judging;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.CollectJudgments</c>: the human task. With <c>judge</c> = <c>human</c> the instance suspends on a
/// <c>judgments</c> bookmark until every comparison of the project has its quorum (overlap k active judgments, or an
/// adjudication); annotators label in the web UI or through the labeling API meanwhile, and <c>align resume ID</c>
/// checks again. With a scripted judge (<c>rules</c> with a rule file, or <c>length</c>) the run is unattended: the
/// judge labels through the same queue as annotators <c>judge:&lt;name&gt;@&lt;fingerprint&gt;#1..k</c>; when the rule file
/// or its reference answers change, the earlier verdicts are retracted and every comparison is judged again. Either way the output is a
/// snapshot of the judgments (see <see cref="JudgmentSnapshot"/>).
/// </summary>
public sealed class CollectJudgmentsActivity : IStageActivity
{
    public const string TypeName = "Alignment.CollectJudgments";

    /// <summary>The bookmark kind a waiting instance is suspended on; its payload names the project.</summary>
    public const string BookmarkKind = "judgments";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Labeling", "Collect judgments",
        "Waits until every comparison has its quorum of human judgments (the instance suspends), or lets a scripted judge label them.",
        [
            new InputDescriptor("comparisons", InputType.Artifact, "The comparisons to judge (from CreateComparisons).",
                Required: true, ArtifactKind: ArtifactKind.Comparisons),
            new InputDescriptor("judge", InputType.String, "human (suspend until people have judged), rules (a rule file) or length.",
                Default: "human", Choices: [.. JudgeFactory.Names]),
            new InputDescriptor("rules", InputType.File, "The rule file for judge 'rules' (JSON; see RuleJudge).", ReferencedFiles: RuleJudge.ReferencedFiles),
        ],
        [
            new OutputDescriptor("judgments", OutputType.Artifact, "Votes, adjudications and gold answers per comparison.", ArtifactKind.Judgments),
            new OutputDescriptor("judged", OutputType.Number, "Comparisons with their quorum."),
        ])
    {
        // 1: scripted judges label as judge:<name>@<fingerprint>#i and retract a changed judge's verdicts.
        Revision = 1,
    };

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var set = ComparisonSet.Load(context.Inputs.Artifact("comparisons").Path);
        var project = new ProjectService(context.Database).Find(set.Project)
                      ?? throw new WorkflowException($"labeling project '{set.Project}' is gone from the database; run the workflow again with --force to recreate it");
        var judge = JudgeFactory.Create(context.Inputs.String("judge"), context.Inputs.Has("rules") ? context.Inputs.File("rules") : null);
        if (judge is not null) JudgeAll(context, project, judge);

        var rows = JudgmentSnapshot.Read(context.Database, set);
        if (Waiting(context, project, rows) is { } waiting) return Task.FromResult(waiting);
        context.WriteFile("judgments", temp => JsonLines.Write(temp, rows.Select(JudgmentSnapshot.ToJson)));
        context.SetValue("judged", rows.Count);
        context.Log($"{rows.Count} comparisons judged");
        return Task.FromResult(StageResult.Completed);
    }

    /// <summary>
    /// The suspension on a <see cref="BookmarkKind"/> bookmark (payload <c>project</c>, <c>projectId</c>, <c>complete</c>,
    /// <c>comparisons</c>) while some comparison of <paramref name="rows"/> lacks its quorum (overlap k active judgments,
    /// or an adjudication); null when every one has it. Evaluate's human judge waits the same way.
    /// </summary>
    public static StageResult? Waiting(StageContext context, Project project, IReadOnlyList<SnapshotRow> rows)
    {
        int complete = rows.Count(r => r.Adjudication is not null || r.Votes.Count >= project.OverlapK);
        if (complete == rows.Count) return null;
        string message = $"waiting for judgments: {complete} of {rows.Count} comparisons in project '{project.Name}' have their {project.OverlapK} judgment{(project.OverlapK == 1 ? "" : "s")}";
        if (new ProjectMembers(context.Database).List(project.Id).Count == 0)
            message += $"; the project has no members yet, so only admins see it: add annotators with `align projects members add \"{project.Name}\" NAME` or on its admin page";
        context.Log(message);
        return StageResult.Suspend(new Bookmark(BookmarkKind,
            new JsonObject { ["project"] = project.Name, ["projectId"] = project.Id, ["complete"] = complete, ["comparisons"] = rows.Count },
            message));
    }

    private static void JudgeAll(StageContext context, Project project, IScriptedJudge judge)
    {
        var annotators = new AnnotatorService(context.Database);
        var queue = new QueueService(context.Database);
        var names = Enumerable.Range(1, project.OverlapK).Select(i => $"judge:{judge.Name}@{judge.Fingerprint}#{i}").ToList();
        // Verdicts of this judge with other settings (and of the unversioned judge:<name>#i of older stores) no longer count.
        int retracted = queue.RetractJudgments(project.Id, $"judge:{judge.Name}@", names) + queue.RetractJudgments(project.Id, $"judge:{judge.Name}#", names);
        if (retracted > 0) context.Log($"the {judge.Name} judge's settings changed: {retracted} earlier verdicts retracted, judging again");
        var members = new ProjectMembers(context.Database);
        foreach (string name in names)
        {
            long annotatorId = (annotators.Find(name) ?? annotators.Create(name, AnnotatorRole.Annotator).Annotator).Id;
            members.Add(project.Id, annotatorId);  // projects start with no members; the scripted judge makes itself one
            int judged = 0;
            while (queue.NextItem(project.Id, annotatorId) is { } item)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                var verdict = judge.Judge(item.Prompt, item.LeftText, item.RightText);
                int strength = Math.Clamp(verdict.Strength, -project.StrengthMax, project.StrengthMax);
                queue.Submit(item.AssignmentId, annotatorId, new JudgmentInput(verdict.Choice, strength, verdict.Rationale),
                    idempotencyKey: $"{name}:{item.ComparisonId}");
                judged++;
            }
            context.Log($"{name} judged {judged} comparisons");
        }
    }
}
