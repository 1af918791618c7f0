using Alignment.Data.Annotators;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Alignment.LabelingUi.Tests.EndToEnd;

// The admin's statistics pages in Chromium: the leaderboard chart draws, the agreement matrix shows, the project page's
// activity and members grids answer over the circuit; screenshots kept.
[Trait("Category", "EndToEnd")]
public class AdminBrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Leaderboard_chart_and_agreement_matrix_render()
    {
        await using var session = await BrowserSession.Start();
        var project = E2eData.Project(session, overlap: 3);
        var annotators = session.Service<AnnotatorService>();
        var queue = session.Service<QueueService>();
        var names = new[] { "alice", "bob", "chen" };
        foreach (var (name, index) in names.Select((n, i) => (n, i)))
        {
            var id = annotators.Create(name, AnnotatorRole.Annotator).Annotator.Id;
            session.Service<ProjectMembers>().Add(project.Id, id);
            var n = 0;
            while (queue.NextItem(project.Id, id) is { } item)
            {
                // Mostly the left answer; each annotator departs from it on a different fifth of the items.
                var choice = n++ % 5 == index ? ShownChoice.Right : ShownChoice.Left;
                queue.Submit(item.AssignmentId, id, new JudgmentInput(choice, choice == ShownChoice.Left ? -2 : 1, TimeMs: 2000));
            }
        }
        var admin = annotators.Create("admin", AnnotatorRole.Admin);
        var (context, page, errors) = await session.SignIn(admin.Token);
        var shots = BrowserSession.ScreenshotFolder();

        await page.GotoAsync($"{session.Url}/admin/projects/{project.Id}/leaderboard");
        await page.WaitForFunctionAsync("() => window.Chart && Chart.getChart(document.getElementById('leaderboard-chart'))");
        var bars = await page.EvaluateAsync<int>("() => Chart.getChart(document.getElementById('leaderboard-chart')).data.labels.length");
        Assert.Equal(2, bars);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "admin-leaderboard.png"), FullPage = true });

        await page.GotoAsync($"{session.Url}/admin/projects/{project.Id}/agreement");
        Assert.Equal(9, await page.Locator("[data-kappa-matrix] td").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "admin-agreement.png"), FullPage = true });

        await page.GotoAsync($"{session.Url}/admin/projects/{project.Id}");
        await page.Locator("main[data-interactive=true]").WaitForAsync();
        Assert.Equal(3, await page.Locator("[data-activity-annotator]").CountAsync());
        Assert.Equal(3, await page.Locator("[data-member]").CountAsync());
        await page.Locator("input[data-member-search]").FillAsync("bo");
        await page.Locator("[data-member]").Nth(1).WaitForAsync(new() { State = WaitForSelectorState.Detached });
        Assert.Equal("bob", await page.Locator("[data-member]").InnerTextAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "admin-project.png"), FullPage = true });
        Assert.Empty(errors);
        output.WriteLine($"screenshots in {shots}");
        await context.CloseAsync();
    }
}
