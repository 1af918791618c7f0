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
/// `align demo --human`: while the instance waits at Collect judgments, runs the labeling web app in this process on
/// the same home folder, gives annotator accounts new login tokens (printed once, like `align annotators add`), shows
/// the labeling progress, and returns when every comparison has its judgments.
/// </summary>
internal sealed class DemoLabeling(WorkflowEngine engine, string home, TextWriter output)
{
    /// <summary>Prefix of the annotator accounts the demo creates (demo-annotator-1, -2 ...).</summary>
    public const string AnnotatorPrefix = "demo-annotator-";

    /// <summary>How often the store is asked whether the comparisons are judged.</summary>
    public static TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Serves the labeling app until the suspended instance's comparisons are all judged (true), or the app stops (false).</summary>
    public bool WaitForJudgments(string instanceId, int annotatorCount, int port)
    {
        var bookmark = engine.Detail(instanceId).Bookmarks.FirstOrDefault(b => b.Kind == CollectJudgmentsActivity.BookmarkKind)
                       ?? throw new WorkflowException($"instance {instanceId} is not waiting for judgments");
        long projectId = (long)bookmark.Payload["projectId"]!;
        string project = (string)bookmark.Payload["project"]!;
        if (annotatorCount < 1) throw new WorkflowException("--annotators must be at least 1");

        using var app = LabelingApp.Create(new LabelingAppOptions { Home = home, Port = port, Quiet = true });
        app.StartAsync().GetAwaiter().GetResult();
        try
        {
            var accounts = new AnnotatorService(engine.Db);
            var members = new ProjectMembers(engine.Db);  // the project starts with no members: each account is made one
            output.WriteLine();
            output.WriteLine($"Judge the answers in the browser: {app.ListeningUrl()}/  (project '{project}'; REST API under /api)");
            output.WriteLine("Sign in with one of these tokens (shown once; new tokens on every run):");
            for (int i = 1; i <= annotatorCount; i++)
            {
                string name = AnnotatorPrefix + i;
                var issued = accounts.Find(name) is { } existing ? accounts.RotateToken(existing.Id) : accounts.Create(name, AnnotatorRole.Annotator);
                members.Add(projectId, issued.Annotator.Id);
                output.WriteLine($"  {name}  {issued.Token}");
            }
            output.WriteLine("Pick the answer with the right sum said the house way, the answer and nothing else (\"The answer is 7.\"). The run goes on by itself when all are judged.");
            output.Flush();

            var queue = new QueueService(engine.Db);
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
                if (progress.CompletedComparisons >= progress.Comparisons) return true;
                if (app.Lifetime.ApplicationStopping.WaitHandle.WaitOne(PollInterval)) return false;
            }
        }
        finally
        {
            app.StopAsync().GetAwaiter().GetResult();
        }
    }
}
