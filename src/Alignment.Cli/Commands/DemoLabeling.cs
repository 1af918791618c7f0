using Alignment.Data.Annotators;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.LabelingUi.Hosting;
using Alignment.Workflows;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Stages;
using Microsoft.AspNetCore.Builder;

namespace Alignment.Cli.Commands;

/// <summary>
/// `align demo --human` / `--human-eval`: while the instance waits for judgments (Collect judgments, or an Evaluate with
/// the human judge), runs the labeling web app in this process on the same home folder, gives annotator accounts new
/// login tokens (printed once, like `align annotators add`), shows the labeling progress, resumes the instance when every
/// comparison of the waiting project has its judgments, and keeps serving while it stops on the next such wait.
/// </summary>
internal sealed class DemoLabeling(WorkflowEngine engine, string home, TextWriter output)
{
    /// <summary>Prefix of the annotator accounts the demo creates (demo-annotator-1, -2 ...).</summary>
    public const string AnnotatorPrefix = "demo-annotator-";

    /// <summary>How often the store is asked whether the comparisons are judged.</summary>
    public static TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Serves the labeling app while the suspended instance waits on a judgments bookmark: waits until its project is
    /// judged, calls <paramref name="resume"/>, and repeats while the result waits on another one. Returns the last
    /// result, or null when the app stopped first.
    /// </summary>
    public RunResult? JudgeUntilDone(string instanceId, int annotatorCount, int port, Func<RunResult> resume)
    {
        var bookmark = WaitingOn(instanceId) ?? throw new WorkflowException($"instance {instanceId} is not waiting for judgments");
        if (annotatorCount < 1) throw new WorkflowException("--annotators must be at least 1");

        using var app = LabelingApp.Create(new LabelingAppOptions { Home = home, Port = port, Quiet = true });
        app.StartAsync().GetAwaiter().GetResult();
        try
        {
            var accounts = new AnnotatorService(engine.Db);
            var members = new ProjectMembers(engine.Db);  // projects start with no members: each account is made one of every project waited on
            var accountIds = new List<long>();
            output.WriteLine();
            output.WriteLine($"Judge the answers in the browser: {app.ListeningUrl()}/  (project '{(string)bookmark.Payload["project"]!}'; REST API under /api)");
            output.WriteLine("Sign in with one of these tokens (shown once; new tokens on every run):");
            for (int i = 1; i <= annotatorCount; i++)
            {
                string name = AnnotatorPrefix + i;
                var issued = accounts.Find(name) is { } existing ? accounts.RotateToken(existing.Id) : accounts.Create(name, AnnotatorRole.Annotator);
                accountIds.Add(issued.Annotator.Id);
                output.WriteLine($"  {name}  {issued.Token}");
            }
            output.WriteLine("Pick the answer with the right sum said the house way, the answer and nothing else (\"The answer is 7.\"). The run goes on by itself when all are judged.");
            output.Flush();

            var queue = new QueueService(engine.Db);
            while (true)
            {
                long projectId = (long)bookmark.Payload["projectId"]!;
                foreach (long id in accountIds) members.Add(projectId, id);
                output.WriteLine($"{bookmark.ActivityId} waits for project '{(string)bookmark.Payload["project"]!}'");
                long shown = -1;
                while (true)
                {
                    var progress = queue.Progress(projectId, annotatorId: 0);
                    if (progress.CompletedComparisons != shown)
                    {
                        shown = progress.CompletedComparisons;
                        output.WriteLine($"  {progress.CompletedComparisons} of {progress.Comparisons} comparisons judged");
                        output.Flush();
                    }
                    if (progress.CompletedComparisons >= progress.Comparisons) break;
                    if (app.Lifetime.ApplicationStopping.WaitHandle.WaitOne(PollInterval)) return null;
                }
                var result = resume();
                if (result.Status != InstanceStatus.Suspended || WaitingOn(instanceId) is not { } next) return result;
                bookmark = next;
            }
        }
        finally
        {
            app.StopAsync().GetAwaiter().GetResult();
        }
    }

    private BookmarkInfo? WaitingOn(string instanceId) =>
        engine.Detail(instanceId).Bookmarks.FirstOrDefault(b => b.Kind == CollectJudgmentsActivity.BookmarkKind);
}
