using System.Net;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Pages;

// The labeling page and its htmx endpoints (cookie session + antiforgery header).
public class LabelPageTests
{
    [Fact]
    public async Task The_page_shows_prompt_answers_keys_scale_guidelines_help_and_progress()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 3, guidelines: "Prefer **correct** answers.");
        var browser = await app.SignedIn(app.Token("ann"));

        var html = WebUtility.HtmlDecode(await browser.GetStringAsync($"/label/{project.Id}"));

        // Items come in an order shuffled per annotator: whichever prompt is shown, its two answers are shown with it.
        var number = int.Parse(System.Text.RegularExpressions.Regex.Match(html, @"Prompt (\d+): what is").Groups[1].Value);
        Assert.Contains($"Prompt {number}: what is {number} + {number}?", html);
        Assert.Contains($"Answer A {number}: it is {2 * number}.", html);
        Assert.Contains($"Answer B {number}: no idea.", html);
        foreach (var choice in new[] { "left", "right", "tie", "both_bad" })
            Assert.Contains($"data-choice=\"{choice}\"", html);
        foreach (var key in new[] { "<kbd>1</kbd>", "<kbd>2</kbd>", "<kbd>3</kbd>", "<kbd>4</kbd>", "<kbd>←</kbd>", "<kbd>→</kbd>", "<kbd>Enter</kbd>", "<kbd>r</kbd>", "<kbd>s</kbd>", "<kbd>u</kbd>", "<kbd>?</kbd>" })
            Assert.Contains(key, html);
        for (var step = -3; step <= 3; step++)
            Assert.Contains($"data-step=\"{step}\"", html);
        Assert.Contains("Prefer **correct** answers.", html);    // raw markdown, rendered by markdown.js
        Assert.Contains("id=\"help\"", html);
        Assert.Contains("<script src=\"/lib/htmx/htmx.min.js\"", html);   // its one swap per judgment
        Assert.Contains("judged by you", html);
        Assert.Contains("name=\"csrf-token\"", html);
    }

    [Fact]
    public async Task An_empty_project_is_not_shown_as_done()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 0);
        var admin = await app.SignedIn(app.Token("root", Alignment.Data.Model.AnnotatorRole.Admin));

        foreach (var path in new[] { $"/label/{project.Id}", $"/admin/projects/{project.Id}" })
        {
            var html = WebUtility.HtmlDecode(await admin.GetStringAsync(path));
            Assert.Contains("the project has no comparisons yet", html);
            Assert.DoesNotContain("100%", html);
            Assert.DoesNotContain("(0 of 0 judgments)", html);
        }
        var list = WebUtility.HtmlDecode(await admin.GetStringAsync("/admin"));
        Assert.Contains("title=\"no comparisons yet\"", list);
        Assert.DoesNotContain("width:100%", list);
    }

    [Fact]
    public async Task Submitting_through_htmx_stores_the_judgment_and_returns_the_next_item_with_progress()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 3);
        var browser = await app.SignedIn(app.Token("ann"));
        await browser.GetStringAsync($"/label/{project.Id}");
        var assignment = app.Count("SELECT id FROM assignments WHERE state = 'leased'");

        var response = await browser.HtmxPost($"/label/{project.Id}", $"/ui/projects/{project.Id}/submit", new Dictionary<string, string>
        {
            ["assignment_id"] = assignment.ToString(), ["choice"] = "right", ["strength"] = "3", ["rationale"] = "clearer", ["time_ms"] = "5100", ["key"] = "ui-test-1",
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var fragment = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<html", fragment);
        Assert.Contains("data-item", fragment);
        Assert.DoesNotContain($"data-assignment=\"{assignment}\"", fragment);
        Assert.Contains("hx-swap-oob=\"true\"", fragment);
        Assert.Contains("data-mine=\"1\"", fragment);
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM judgments WHERE assignment_id = @assignment AND rationale = 'clearer' AND time_ms = 5100", new { assignment }));
    }

    [Fact]
    public async Task A_double_submit_of_the_same_rendering_is_stored_once()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 3);
        var browser = await app.SignedIn(app.Token("ann"));
        await browser.GetStringAsync($"/label/{project.Id}");
        var form = new Dictionary<string, string> { ["assignment_id"] = app.Count("SELECT id FROM assignments").ToString(), ["choice"] = "tie", ["key"] = "ui-same" };

        await browser.HtmxPost($"/label/{project.Id}", $"/ui/projects/{project.Id}/submit", form);
        var again = await browser.HtmxPost($"/label/{project.Id}", $"/ui/projects/{project.Id}/submit", form);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM judgments"));
    }

    [Fact]
    public async Task An_htmx_post_without_the_antiforgery_header_is_400_and_writes_nothing()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 2);
        var browser = await app.SignedIn(app.Token("ann"));
        await browser.GetStringAsync($"/label/{project.Id}");
        var assignment = app.Count("SELECT id FROM assignments");

        var response = await browser.PostAsync($"/ui/projects/{project.Id}/submit",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["assignment_id"] = assignment.ToString(), ["choice"] = "left" }));

        await response.AssertProblem(HttpStatusCode.BadRequest, "antiforgery token");
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM judgments"));
        await (await browser.PostAsync($"/ui/projects/{project.Id}/undo", null)).AssertProblem(HttpStatusCode.BadRequest, "antiforgery token");
    }

    [Fact]
    public async Task A_bad_choice_from_the_page_is_400_with_the_message()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 2);
        var browser = await app.SignedIn(app.Token("ann"));
        await browser.GetStringAsync($"/label/{project.Id}");

        var response = await browser.HtmxPost($"/label/{project.Id}", $"/ui/projects/{project.Id}/submit",
            new Dictionary<string, string> { ["assignment_id"] = app.Count("SELECT id FROM assignments").ToString(), ["choice"] = "" });

        await response.AssertProblem(HttpStatusCode.BadRequest, "choice is required");
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM judgments"));
    }

    [Fact]
    public async Task Skip_and_undo_answer_with_a_notice_and_the_right_item()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 3);
        var browser = await app.SignedIn(app.Token("ann"));
        await browser.GetStringAsync($"/label/{project.Id}");
        var first = app.Count("SELECT id FROM assignments");

        var skipped = await (await browser.HtmxPost($"/label/{project.Id}", $"/ui/projects/{project.Id}/skip",
            new Dictionary<string, string> { ["assignment_id"] = first.ToString() })).Content.ReadAsStringAsync();
        Assert.Contains("Skipped", skipped);
        var second = app.Count("SELECT id FROM assignments WHERE state = 'leased'");
        await browser.HtmxPost($"/label/{project.Id}", $"/ui/projects/{project.Id}/submit",
            new Dictionary<string, string> { ["assignment_id"] = second.ToString(), ["choice"] = "both_bad" });

        var undone = await (await browser.HtmxPost($"/label/{project.Id}", $"/ui/projects/{project.Id}/undo", new Dictionary<string, string>())).Content.ReadAsStringAsync();

        Assert.Contains("Your last judgment was undone", undone);
        Assert.Contains($"data-assignment=\"{second}\"", undone);
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM judgments WHERE is_active = 0"));
    }

    [Fact]
    public async Task A_submit_after_the_lease_expired_says_so_and_moves_on()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero));
        using var app = new LabelingFactory(clock);
        var project = app.Project(pairs: 2, leaseMinutes: 1);
        var browser = await app.SignedIn(app.Token("ann"));
        await browser.GetStringAsync($"/label/{project.Id}");
        var assignment = app.Count("SELECT id FROM assignments");
        var page = await browser.GetStringAsync($"/label/{project.Id}");
        clock.Advance(TimeSpan.FromMinutes(2));

        var request = new HttpRequestMessage(HttpMethod.Post, $"/ui/projects/{project.Id}/submit")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["assignment_id"] = assignment.ToString(), ["choice"] = "left" }),
        };
        request.Headers.Add("RequestVerificationToken", Http.AntiforgeryToken(page));
        var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("time on that item ran out", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM judgments"));
    }

    [Fact]
    public async Task The_done_panel_shows_when_nothing_is_left_and_an_unknown_project_is_404()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 0);
        var browser = await app.SignedIn(app.Token("ann"));

        Assert.Contains("All done here", await browser.GetStringAsync($"/label/{project.Id}"));
        var missing = await browser.GetAsync("/label/999");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("Not found", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_home_page_lists_projects_with_progress()
    {
        using var app = new LabelingFactory();
        var project = app.Project(name: "helpfulness", pairs: 2);
        var browser = await app.SignedIn(app.Token("ann"));

        var html = await browser.GetStringAsync("/");

        Assert.Contains("helpfulness", html);
        Assert.Contains($"href=\"/label/{project.Id}\"", html);
        Assert.DoesNotContain("href=\"/admin\"", html);
    }

    [Theory]
    [InlineData("/lib/htmx/htmx.min.js")]
    [InlineData("/lib/marked/marked.esm.js")]
    [InlineData("/lib/dompurify/purify.es.mjs")]
    [InlineData("/lib/highlight/highlight.min.js")]
    [InlineData("/lib/diff/diff.min.js")]
    [InlineData("/lib/chartjs/chart.umd.min.js")]
    [InlineData("/js/app.js")]
    [InlineData("/js/labeling.js")]
    public async Task Scripts_are_served_from_the_app_with_a_javascript_type(string path)
    {
        using var app = new LabelingFactory();
        var response = await app.CreateClient().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100);
        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
    }
}
