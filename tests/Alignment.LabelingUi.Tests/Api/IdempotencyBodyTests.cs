using System.Net;
using System.Text;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Api;

// An Idempotency-Key replays only the judgment it was first sent with.
public class IdempotencyBodyTests
{
    [Fact]
    public async Task The_same_key_with_another_body_is_422_and_the_stored_judgment_is_unchanged()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 2);
        var api = app.Api(app.Token("ann"));
        var assignment = (await (await api.GetAsync($"/api/projects/{project.Id}/next")).Json()).GetProperty("assignment_id").GetInt64();

        var first = await api.PostJson($"/api/assignments/{assignment}/judgment", new { choice = "right", strength = 2 }, "key-1");
        var other = await api.PostJson($"/api/assignments/{assignment}/judgment", new { choice = "left", strength = -2 }, "key-1");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var detail = await other.AssertProblem(HttpStatusCode.UnprocessableEntity, "another body");
        Assert.Contains("key-1", detail);
        Assert.Equal("idempotency_key_reused", (await other.Json()).GetProperty("code").GetString());
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM judgments"));
        var leftIsA = app.Count("SELECT left_is_a FROM assignments WHERE id = @assignment", new { assignment }) == 1;
        // "right, +2" in the shown frame is B +2 when left is A, else A −2: the first body is what stays.
        Assert.Equal(leftIsA ? 2 : -2, app.Count("SELECT strength FROM judgments"));
    }

    [Fact]
    public async Task The_same_body_replays_even_with_other_spacing_and_key_order()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 2);
        var api = app.Api(app.Token("ann"));
        var assignment = (await (await api.GetAsync($"/api/projects/{project.Id}/next")).Json()).GetProperty("assignment_id").GetInt64();

        var first = await Send(api, assignment, """{"choice":"tie","rationale":"same","time_ms":900}""");
        var again = await Send(api, assignment, """{ "time_ms": 900,  "rationale": "same", "choice": "tie" }""");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True((await again.Json()).GetProperty("replayed").GetBoolean());
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM judgments"));

        // A changed rationale alone is another body.
        var changed = await Send(api, assignment, """{"choice":"tie","rationale":"different","time_ms":900}""");
        await changed.AssertProblem(HttpStatusCode.UnprocessableEntity, "another body");
    }

    private static Task<HttpResponseMessage> Send(HttpClient api, long assignment, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/assignments/{assignment}/judgment")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", "key-2");
        return api.SendAsync(request);
    }
}
