using System.Text.Json;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.LabelingUi.Tests.Infrastructure;
using Alignment.LabelingUi.Tests.Runs;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Alignment.LabelingUi.Tests.EndToEnd;

// axe-core (from labeling-ui's npm packages) on every page of the app in Chromium, in the light and the dark theme: no
// serious or critical violation of WCAG 2.1 A/AA. The pages are filled first: a labeling project with judgments, stored workflows, and a finished run
// of the labeling round trip with its artifacts.
[Trait("Category", "EndToEnd")]
public class AccessibilityBrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_page_has_no_serious_or_critical_axe_violations()
    {
        var axe = RunFixtures.RepoFile("labeling-ui", "node_modules", "axe-core", "axe.min.js");
        Assert.True(File.Exists(axe), $"{axe} is missing: build labeling-ui (its npm ci installs axe-core).");
        await using var session = await BrowserSession.Start();
        var project = E2eData.Project(session, overlap: 2);
        var annotators = session.Service<AnnotatorService>();
        var admin = annotators.Create("admin", AnnotatorRole.Admin);
        var alice = annotators.Create("alice", AnnotatorRole.Annotator);
        session.Service<ProjectMembers>().Add(project.Id, alice.Annotator.Id);
        // Judgments that disagree (alice: tie, bob: both bad) fill the disagreements grid.
        var bob = annotators.Create("bob", AnnotatorRole.Annotator);
        session.Service<ProjectMembers>().Add(project.Id, bob.Annotator.Id);
        foreach (var (token, outcome) in new[] { (alice.Token, "tie"), (bob.Token, "both_bad") })
        {
            using var api = new HttpClient { BaseAddress = new Uri(session.Url) };
            api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(12, await Judge.All(api, project.Id, _ => outcome));
        }
        session.Service<DefinitionLibrary>().Import(RunFixtures.RepoFile("workflows", "demo-rlhf.json"), "test");
        var engine = session.Service<WorkflowEngine>();
        var run = await engine.RunAsync(engine.Start(RunFixtures.RepoFile("workflows", "labeling-roundtrip.json"), new Dictionary<string, string>()));
        Assert.True(run.Status == InstanceStatus.Finished, run.Message);
        var artifact = engine.Artifacts.List()[0].Hash;

        var context = await session.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 }, BypassCSP = true,   // lets the test inject axe
        });
        var page = await context.NewPageAsync();
        var found = new List<string>();
        await Check(page, $"{session.Url}/signin", axe, found);
        await page.Locator("#token").FillAsync(admin.Token);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync($"{session.Url}/");

        // Every page in both themes: the layout's toggle keeps the choice in the align.theme cookie.
        foreach (var theme in new[] { "light", "dark" })
        {
            await context.AddCookiesAsync([new Cookie { Name = "align.theme", Value = theme, Url = session.Url }]);
            foreach (var path in new[]
                     {
                         "/signin", "/", $"/label/{project.Id}", "/admin", $"/admin/projects/{project.Id}", "/admin/annotators",
                         $"/admin/projects/{project.Id}/agreement", $"/admin/projects/{project.Id}/disagreements",
                         $"/admin/projects/{project.Id}/leaderboard", "/workflows", "/workflows/demo-rlhf/design", "/runs",
                         $"/runs/{run.InstanceId}", $"/runs/artifacts/{artifact}", "/not-found",
                     })
                await Check(page, session.Url + path, axe, found, theme);
            // The disagreements grid once more with a row open: the card with its judgments and the settling form.
            await page.GotoAsync($"{session.Url}/admin/projects/{project.Id}/disagreements");
            await page.Locator("main[data-interactive=true]").WaitForAsync();
            await page.Locator("button[aria-label='Expand group']").First.ClickAsync();
            await page.Locator("[data-disagreement-card] form[data-adjudicate]").WaitForAsync();
            await Axe(page, $"/admin/projects/{project.Id}/disagreements with a row open ({theme})", axe, found);
            // The designer once more with an activity selected by keyboard: its property form (one field per input) open.
            await page.GotoAsync($"{session.Url}/workflows/demo-rlhf/design");
            await page.Locator("[data-designer][data-ready=true]").WaitForAsync();
            await page.Locator("[data-cell-id=\"dpo\"]").FocusAsync();
            await page.Keyboard.PressAsync("Enter");
            await page.Locator("#designer-panel [data-input]").First.WaitForAsync();
            await Axe(page, $"/workflows/demo-rlhf/design with dpo selected ({theme})", axe, found);
        }
        foreach (var line in found)
            output.WriteLine(line);
        Assert.True(found.Count == 0, string.Join("\n", found));
        await context.CloseAsync();
    }

    private static async Task Check(IPage page, string url, string axe, List<string> found, string theme = "light")
    {
        await page.GotoAsync(url);
        Assert.Equal(theme == "dark", await page.EvaluateAsync<bool>("() => document.documentElement.classList.contains('theme-dark')"));
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        if (url.Contains("/design", StringComparison.Ordinal))
            await page.Locator("[data-designer][data-ready=true]").WaitForAsync();
        await Axe(page, $"{new Uri(url).PathAndQuery} ({theme})", axe, found);
    }

    private static async Task Axe(IPage page, string where, string axe, List<string> found)
    {
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = axe });
        var violations = await page.EvaluateAsync<JsonElement>(
            """
            async () => (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }))
              .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.length} element(s), e.g. ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`)
            """);
        foreach (var v in violations.EnumerateArray())
            found.Add($"{where}: {v.GetString()}");
    }
}
