using System.Net;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Api;

// The labeling loop through the REST API: next, submit, skip, undo, progress, and every bad input of the issue.
public class LabelingApiTests
{
    [Fact]
    public async Task Next_submit_and_progress_store_the_judgment_in_the_A_B_frame()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 3);
        var api = app.Api(app.Token("ann"));

        var item = await (await api.GetAsync($"/api/projects/{project.Id}/next")).Json();
        var assignment = item.GetProperty("assignment_id").GetInt64();
        Assert.StartsWith("Prompt ", item.GetProperty("prompt").GetString());
        var left = item.GetProperty("left").GetString()!;

        var stored = await api.PostJson($"/api/assignments/{assignment}/judgment",
            new { choice = "left", strength = -3, rationale = "left is right", time_ms = 4200, helpful = 5 });
        Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        var judgment = await stored.Json();
        Assert.False(judgment.GetProperty("replayed").GetBoolean());

        // Left was response A or B at random; the stored outcome and strength follow the recorded order.
        var leftIsA = app.Count("SELECT left_is_a FROM assignments WHERE id = @assignment", new { assignment }) == 1;
        Assert.Equal(leftIsA, left.StartsWith("Answer A"));
        var outcome = app.Store.Read(c => Dapper.SqlMapper.QuerySingle<(string Outcome, long Strength, long TimeMs, long Helpful)>(c,
            "SELECT outcome, strength, time_ms, helpful FROM judgments WHERE id = @id", new { id = judgment.GetProperty("judgment_id").GetInt64() }));
        Assert.Equal(leftIsA ? ("A", -3L) : ("B", 3L), (outcome.Outcome, outcome.Strength));
        Assert.Equal((4200L, 5L), (outcome.TimeMs, outcome.Helpful));

        var progress = await (await api.GetAsync($"/api/projects/{project.Id}/progress")).Json();
        Assert.Equal(1, progress.GetProperty("mine").GetInt64());
        Assert.Equal(3, progress.GetProperty("comparisons").GetInt64());
        Assert.Equal(1, progress.GetProperty("judgments").GetInt64());
    }

    [Fact]
    public async Task Next_returns_the_same_lease_until_it_is_used_and_204_when_the_queue_is_empty()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 1);
        var api = app.Api(app.Token("ann"));

        var first = (await (await api.GetAsync($"/api/projects/{project.Id}/next")).Json()).GetProperty("assignment_id").GetInt64();
        var again = (await (await api.GetAsync($"/api/projects/{project.Id}/next")).Json()).GetProperty("assignment_id").GetInt64();
        Assert.Equal(first, again);

        Assert.Equal(HttpStatusCode.Created, (await api.PostJson($"/api/assignments/{first}/judgment", new { choice = "tie" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await api.GetAsync($"/api/projects/{project.Id}/next")).StatusCode);
    }

    [Fact]
    public async Task Skip_gives_the_item_back_and_undo_reopens_the_last_judgment()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 3);
        var api = app.Api(app.Token("ann"));

        var skipped = (await (await api.GetAsync($"/api/projects/{project.Id}/next")).Json()).GetProperty("assignment_id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await api.PostAsync($"/api/assignments/{skipped}/skip", null)).StatusCode);

        var judged = (await (await api.GetAsync($"/api/projects/{project.Id}/next")).Json()).GetProperty("assignment_id").GetInt64();
        Assert.NotEqual(skipped, judged);
        await api.PostJson($"/api/assignments/{judged}/judgment", new { choice = "right", strength = 2 });

        var undone = await (await api.PostAsync($"/api/projects/{project.Id}/undo", null)).Json();
        Assert.Equal(judged, undone.GetProperty("assignment_id").GetInt64());
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM judgments WHERE is_active = 1"));
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM judgments WHERE is_active = 0 AND superseded_at IS NOT NULL"));

        await (await api.PostAsync($"/api/projects/{project.Id}/undo", null)).AssertProblem(HttpStatusCode.Conflict, "no judgment to undo");
    }

    [Fact]
    public async Task A_double_submission_with_the_same_key_is_stored_once()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 2);
        var api = app.Api(app.Token("ann"));
        var assignment = (await (await api.GetAsync($"/api/projects/{project.Id}/next")).Json()).GetProperty("assignment_id").GetInt64();

        var first = await api.PostJson($"/api/assignments/{assignment}/judgment", new { choice = "right", strength = 1 }, "key-1");
        var second = await api.PostJson($"/api/assignments/{assignment}/judgment", new { choice = "right", strength = 1 }, "key-1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var replay = await second.Json();
        Assert.True(replay.GetProperty("replayed").GetBoolean());
        Assert.Equal((await first.Json()).GetProperty("judgment_id").GetInt64(), replay.GetProperty("judgment_id").GetInt64());
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM judgments"));
    }

    [Fact]
    public async Task A_second_submission_without_the_key_is_409_and_writes_nothing()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 2);
        var api = app.Api(app.Token("ann"));
        var assignment = (await (await api.GetAsync($"/api/projects/{project.Id}/next")).Json()).GetProperty("assignment_id").GetInt64();
        await api.PostJson($"/api/assignments/{assignment}/judgment", new { choice = "left", strength = -1 });

        var again = await api.PostJson($"/api/assignments/{assignment}/judgment", new { choice = "right", strength = 1 });

        await again.AssertProblem(HttpStatusCode.Conflict, "already judged");
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM judgments"));
    }

    [Fact]
    public async Task A_judgment_for_an_item_assigned_to_someone_else_is_403()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 2, overlap: 2);
        var owner = app.Api(app.Token("owner"));
        var intruder = app.Api(app.Token("intruder"));
        var assignment = (await (await owner.GetAsync($"/api/projects/{project.Id}/next")).Json()).GetProperty("assignment_id").GetInt64();

        await (await intruder.PostJson($"/api/assignments/{assignment}/judgment", new { choice = "left" })).AssertProblem(HttpStatusCode.Forbidden, "not assigned");
        await (await intruder.PostAsync($"/api/assignments/{assignment}/skip", null)).AssertProblem(HttpStatusCode.Forbidden);
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM judgments"));
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM assignments WHERE state = 'leased'"));
    }

    [Fact]
    public async Task A_judgment_after_the_lease_expired_is_410_and_the_item_returns_to_the_pool()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero));
        using var app = new LabelingFactory(clock);
        var project = app.Project(pairs: 1, leaseMinutes: 5);
        var api = app.Api(app.Token("slow"));
        var assignment = (await (await api.GetAsync($"/api/projects/{project.Id}/next")).Json()).GetProperty("assignment_id").GetInt64();

        clock.Advance(TimeSpan.FromMinutes(6));
        var late = await api.PostJson($"/api/assignments/{assignment}/judgment", new { choice = "left" });

        await late.AssertProblem(HttpStatusCode.Gone, "expired");
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM judgments"));
        var other = app.Api(app.Token("quick"));
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync($"/api/projects/{project.Id}/next")).StatusCode);
    }

    [Fact]
    public async Task Unknown_project_and_unknown_assignment_are_404()
    {
        using var app = new LabelingFactory();
        var api = app.Api(app.Token("ann"));

        await (await api.GetAsync("/api/projects/999/next")).AssertProblem(HttpStatusCode.NotFound, "project 999");
        await (await api.GetAsync("/api/projects/999/progress")).AssertProblem(HttpStatusCode.NotFound, "project 999");
        await (await api.PostJson("/api/assignments/999/judgment", new { choice = "left" })).AssertProblem(HttpStatusCode.NotFound, "assignment 999");
    }

    public static TheoryData<string, string> BadJudgments => new()
    {
        { """{"choice":"middle"}""", "choice 'middle'" },
        { """{"strength":-1}""", "choice is required" },
        { """{"choice":"left","strength":2}""", "points right" },
        { """{"choice":"tie","strength":1}""", "strength must be 0" },
        { """{"choice":"right","strength":7}""", "between -3 and 3" },
        { """{"choice":"left","helpful":9}""", "helpful" },
        { """{"choice":"left","time_ms":-5}""", "time_ms" },
        { """{"choice":"left","strength":"much"}""", "" },
        { """{"choice":"left",""", "" },
        { "", "" },
    };

    [Theory]
    [MemberData(nameof(BadJudgments))]
    public async Task Bad_judgments_are_400_with_a_message_and_write_nothing(string json, string expected)
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 1);
        var api = app.Api(app.Token("ann"));
        var assignment = (await (await api.GetAsync($"/api/projects/{project.Id}/next")).Json()).GetProperty("assignment_id").GetInt64();

        var response = await api.PostAsync($"/api/assignments/{assignment}/judgment", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        await response.AssertProblem(HttpStatusCode.BadRequest, expected);
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM judgments"));
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM assignments WHERE state = 'leased'"));
    }

    [Fact]
    public async Task A_disabled_annotator_cannot_keep_labeling_with_an_old_lease()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 1);
        var issued = app.Service<Data.Annotators.AnnotatorService>().Create("gone", AnnotatorRole.Annotator);
        app.Service<Data.Projects.ProjectMembers>().Add(project.Id, issued.Annotator.Id);
        var api = app.Api(issued.Token);
        var assignment = (await (await api.GetAsync($"/api/projects/{project.Id}/next")).Json()).GetProperty("assignment_id").GetInt64();
        app.Service<Data.Annotators.AnnotatorService>().SetActive(issued.Annotator.Id, false);

        Assert.Equal(HttpStatusCode.Unauthorized, (await api.PostJson($"/api/assignments/{assignment}/judgment", new { choice = "left" })).StatusCode);
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM judgments"));
    }
}
