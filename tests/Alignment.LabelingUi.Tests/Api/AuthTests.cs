using System.Net;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Api;

// Bearer-token authentication of the REST API and the admin/annotator split.
public class AuthTests
{
    [Fact]
    public async Task Missing_token_is_401_with_a_message_that_says_how_to_authenticate()
    {
        using var app = new LabelingFactory();
        var project = app.Project();

        var response = await app.Api(null).GetAsync($"/api/projects/{project.Id}/next");

        await response.AssertProblem(HttpStatusCode.Unauthorized, "Authorization: Bearer");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("aln_this-is-not-a-real-token")]
    [InlineData("")]
    public async Task Wrong_token_is_401_and_nothing_is_leased(string token)
    {
        using var app = new LabelingFactory();
        var project = app.Project();
        var client = app.Api(null);
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);

        var response = await client.GetAsync($"/api/projects/{project.Id}/next");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM assignments"));
    }

    [Fact]
    public async Task Wrong_token_is_named_as_invalid_and_not_echoed()
    {
        using var app = new LabelingFactory();
        var response = await app.Api("aln_wrong-token-value").GetAsync("/api/me");

        var detail = await response.AssertProblem(HttpStatusCode.Unauthorized, "not valid");
        Assert.DoesNotContain("aln_wrong-token-value", detail);
    }

    [Fact]
    public async Task A_non_bearer_authorization_header_is_401_with_the_expected_form()
    {
        using var app = new LabelingFactory();
        var client = app.Api(null);
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Basic dXNlcjpwYXNz");

        await (await client.GetAsync("/api/me")).AssertProblem(HttpStatusCode.Unauthorized, "Bearer <token>");
    }

    [Fact]
    public async Task A_disabled_account_loses_api_access_at_once()
    {
        using var app = new LabelingFactory();
        var issued = app.Service<AnnotatorService>().Create("carol", AnnotatorRole.Annotator);
        var client = app.Api(issued.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me")).StatusCode);

        app.Service<AnnotatorService>().SetActive(issued.Annotator.Id, false);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task Me_names_the_account_and_role()
    {
        using var app = new LabelingFactory();
        var me = await (await app.Api(app.Token("dana", AnnotatorRole.Admin)).GetAsync("/api/me")).Json();

        Assert.Equal("dana", me.GetProperty("name").GetString());
        Assert.Equal("admin", me.GetProperty("role").GetString());
    }

    public static TheoryData<string, string> AdminRoutes => new()
    {
        { "GET", "/api/annotators" },
        { "POST", "/api/annotators" },
        { "POST", "/api/annotators/1/disable" },
        { "POST", "/api/annotators/1/token" },
        { "POST", "/api/projects" },
        { "PUT", "/api/projects/{p}" },
        { "POST", "/api/projects/{p}/import?kind=pairs" },
        { "POST", "/api/projects/{p}/comparisons" },
        { "GET", "/api/projects/{p}/export?format=trl" },
        { "GET", "/api/projects/{p}/agreement" },
        { "GET", "/api/projects/{p}/leaderboard" },
        { "GET", "/api/projects/{p}/disagreements" },
        { "GET", "/api/projects/{p}/activity" },
        { "POST", "/api/comparisons/1/adjudication" },
        { "GET", "/api/projects/{p}/members" },
        { "POST", "/api/projects/{p}/members" },
        { "DELETE", "/api/projects/{p}/members/1" },
    };

    [Theory]
    [MemberData(nameof(AdminRoutes))]
    public async Task Annotators_get_403_on_every_admin_route(string method, string route)
    {
        using var app = new LabelingFactory();
        var project = app.Project();
        var request = new HttpRequestMessage(new HttpMethod(method), route.Replace("{p}", project.Id.ToString()))
        {
            Content = method is "GET" or "DELETE" ? null
                : route.Contains("/import") ? Multipart(LabelingFactory.PairsJsonl(1), "pairs.jsonl")
                : System.Net.Http.Json.JsonContent.Create(new { name = "x", outcome = "A" }),
        };

        var response = await app.Api(app.Token("eve")).SendAsync(request);

        await response.AssertProblem(HttpStatusCode.Forbidden, "admin");
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM annotators"));
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM projects"));
        Assert.Equal(5, app.Count("SELECT COUNT(1) FROM comparisons"));
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM project_members"));
    }

    internal static MultipartFormDataContent Multipart(string content, string fileName)
    {
        var form = new MultipartFormDataContent();
        form.Add(new StringContent(content), "file", fileName);
        return form;
    }

    [Fact]
    public async Task The_api_does_not_accept_the_sign_in_cookie()
    {
        using var app = new LabelingFactory();
        var browser = await app.SignedIn(app.Token("frank"));

        var response = await browser.GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
