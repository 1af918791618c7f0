using System.Net;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.LabelingUi.Tests.Infrastructure;
using Alignment.Training.Datasets;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Execution;

namespace Alignment.LabelingUi.Tests.Api;

// A workflow's human task (CollectJudgments with judge=human) suspends on a bookmark; annotators judge through the
// labeling REST API of a running app on the same home folder; `resume` then finishes the instance with their judgments.
public class WorkflowBookmarkTests
{
    private static string RepoFile(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alignment.sln"))) dir = dir.Parent;
        return Path.Combine([dir!.FullName, .. parts]);
    }

    [Fact]
    public async Task Judgments_through_the_api_resume_the_suspended_workflow()
    {
        using var app = new LabelingFactory();
        var engine = new WorkflowEngine(app.Home, ActivityRegistry.CreateBuiltIn());
        var first = await engine.RunAsync(engine.Start(RepoFile("workflows", "labeling-roundtrip.json"), new Dictionary<string, string> { ["judge"] = "human" }));
        Assert.Equal(InstanceStatus.Suspended, first.Status);
        string projectName = (string)Assert.Single(engine.Detail(first.InstanceId).Bookmarks).Payload["project"]!;
        var project = app.Service<ProjectService>().GetByName(projectName);

        // Two annotators label everything through HTTP: the longer answer wins.
        int judged = 0;
        foreach (var name in new[] { "alice", "bob" })
        {
            var api = app.Api(app.Token(name));
            while (true)
            {
                var next = await api.GetAsync($"/api/projects/{project.Id}/next");
                if (next.StatusCode == HttpStatusCode.NoContent) break;
                Assert.Equal(HttpStatusCode.OK, next.StatusCode);
                var item = await next.Json();
                bool leftLonger = item.GetProperty("left").GetString()!.Length >= item.GetProperty("right").GetString()!.Length;
                var body = leftLonger ? new { choice = "left", strength = -2 } : new { choice = "right", strength = 2 };
                var stored = await api.PostJson($"/api/assignments/{item.GetProperty("assignment_id").GetInt64()}/judgment", body);
                Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
                judged++;
            }
        }
        Assert.True(judged >= 18, $"only {judged} judgments were asked for");

        var done = await engine.ResumeAsync(first.InstanceId);
        Assert.Equal(InstanceStatus.Finished, done.Status);
        Assert.Empty(engine.Detail(first.InstanceId).Bookmarks);
        var export = engine.Detail(first.InstanceId).Executions.Last(e => e.ActivityId == "export").Outputs!;
        var rows = DatasetReader.ReadPreferences(engine.Artifacts.Get((string)export["preferences"]!).Path);
        Assert.Equal(18, rows.Count);
        Assert.All(rows, r => Assert.True(r.Chosen.Text!.Length >= r.Rejected.Text!.Length));
    }
}
