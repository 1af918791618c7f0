using System.Net;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Api;

// ASP.NET Core's rate limiter on sign-in posts and on API calls with a wrong bearer token: 429 with Retry-After.
public class RateLimitTests
{
    private static LabelingFactory App(int signIn = 60, int failedBearer = 60) => new(settings: new Dictionary<string, string>
    {
        ["Align:SignInLimit"] = signIn.ToString(), ["Align:FailedBearerLimit"] = failedBearer.ToString(), ["Align:WindowSeconds"] = "60",
    });

    private static FormUrlEncodedContent SignInForm(string antiforgery, string token) => new(new Dictionary<string, string>
    {
        ["_handler"] = "signin", ["__RequestVerificationToken"] = antiforgery, ["Token"] = token,
    });

    [Fact]
    public async Task Sign_in_posts_beyond_the_limit_are_429_with_Retry_After_even_with_the_right_token()
    {
        using var app = App(signIn: 5);
        var token = app.Token("ann");
        var client = app.CreateClient(new() { AllowAutoRedirect = false });
        var antiforgery = Http.AntiforgeryToken(await client.GetStringAsync("/signin"));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
            statuses.Add((await client.PostAsync("/signin", SignInForm(antiforgery, "aln_wrong-" + i))).StatusCode);
        var right = await client.PostAsync("/signin", SignInForm(antiforgery, token));

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 5), .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, 3)], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        var retry = right.Headers.RetryAfter?.Delta ?? TimeSpan.Zero;
        Assert.InRange(retry.TotalSeconds, 1, 60);
        Assert.Contains("Too many sign-in attempts", await right.Content.ReadAsStringAsync());
        // Reading the page is not limited.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/signin")).StatusCode);
    }

    [Fact]
    public async Task Wrong_bearer_tokens_beyond_the_limit_are_429_and_valid_tokens_are_never_counted()
    {
        using var app = App(failedBearer: 4);
        var valid = app.Api(app.Token("ann"));
        for (var i = 0; i < 20; i++)
            Assert.Equal(HttpStatusCode.OK, (await valid.GetAsync("/api/me")).StatusCode);

        var wrong = app.Api("aln_wrong-token");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
            statuses.Add((await wrong.GetAsync("/api/me")).StatusCode);
        var limited = await wrong.GetAsync("/api/projects");

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        await limited.AssertProblem(HttpStatusCode.TooManyRequests, "wrong token");
        Assert.InRange((limited.Headers.RetryAfter?.Delta ?? TimeSpan.Zero).TotalSeconds, 1, 60);
        Assert.Equal(HttpStatusCode.OK, (await valid.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task The_default_limits_let_a_team_work()
    {
        using var app = new LabelingFactory();
        // 40 people signing in from one office address within a minute, each in their own browser.
        foreach (var token in Enumerable.Range(0, 40).Select(i => app.Token($"person-{i}")).ToList())
            await app.SignedIn(token);
    }
}
