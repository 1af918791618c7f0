using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using System.Text;
using System.Text.Json;
using Alignment.Data.ImportExport;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Alignment.LabelingUi.Tests.EndToEnd;

// What an annotator hits on the labeling page in Chromium: mouse then keyboard, and a phone held in the hand.
[Trait("Category", "EndToEnd")]
public class LabelingPageBrowserTests(ITestOutputHelper output)
{
    /// <summary>
    /// A printed measurement, not a timed test: keypress (Enter) → the next item painted, over 60 items judged with the
    /// keyboard at 1280×800. "Painted" is the first task after the animation frame that follows the swap of #item
    /// (requestAnimationFrame, then a zero timeout), measured with performance.now() in the page.
    /// </summary>
    [Fact]
    [Trait("Category", "Benchmark")]
    public async Task Keypress_to_next_item_painted_is_printed()
    {
        const int items = 60;
        await using var session = await BrowserSession.Start();
        var project = session.Service<ProjectService>().Create(new ProjectSettings("latency", "", 1, GoldRate: 0));
        var text = new StringBuilder();
        for (var i = 0; i < items; i++)
            text.Append(JsonSerializer.Serialize(new
            {
                prompt = $"How do I parse **record {i}** in Python?",
                response_a = $"Use `json.loads`:\n\n```python\nimport json\nrecord = json.loads(line)  # {i}\n```\n\n- fast\n- standard library",
                response_b = $"Split it by hand:\n\n```python\nparts = line.split(',')  # {i}\n```\n\nThis breaks on quoted commas.",
            })).Append('\n');
        using (var content = new MemoryStream(Encoding.UTF8.GetBytes(text.ToString())))
            session.Service<ImportService>().Import(project.Id, ImportKind.Pairs, content, "latency.jsonl");
        var (page, errors) = await Annotator(session, 1280, 800, project: project);
        await page.EvaluateAsync(
            """
            () => {
              window.__latency = [];
              document.addEventListener('keydown', (e) => { if (e.key === 'Enter') window.__pressedAt = performance.now(); }, true);
              new MutationObserver(() => {
                const t0 = window.__pressedAt;
                if (!t0) return;
                window.__pressedAt = 0;
                requestAnimationFrame(() => setTimeout(() => window.__latency.push(performance.now() - t0), 0));
              }).observe(document.getElementById('item'), { childList: true });
            }
            """);
        for (var i = 1; i <= items; i++)
        {
            await page.Keyboard.PressAsync(i % 2 == 0 ? "1" : "2");
            await page.Keyboard.PressAsync("Enter");
            await page.Locator($"#progress[data-mine='{i}']").WaitForAsync();
            await page.WaitForFunctionAsync($"() => window.__latency.length >= {i}");
        }
        var latency = (await page.EvaluateAsync<double[]>("() => window.__latency")).Order().ToArray();
        Assert.Equal(items, latency.Length);
        double Quantile(double q) => latency[Math.Min(latency.Length - 1, (int)Math.Ceiling(q * latency.Length) - 1)];
        output.WriteLine($"keypress → next item painted over {items} items: median {Quantile(0.5):0} ms, p90 {Quantile(0.9):0} ms, " +
                         $"p95 {Quantile(0.95):0} ms, max {latency[^1]:0} ms (target p95 ≤ 100 ms)");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Clicking_a_choice_then_pressing_Enter_submits()
    {
        await using var session = await BrowserSession.Start();
        var (page, _) = await Annotator(session, 1280, 800);
        var first = await page.Locator("#item [data-item]").GetAttributeAsync("data-assignment");

        await page.Locator("#item [data-choice='right']").ClickAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => document.activeElement?.dataset.choice === 'right'"), "the clicked choice has the focus");
        await page.Keyboard.PressAsync("Enter");

        await page.Locator("#progress[data-mine='1']").WaitForAsync(new() { Timeout = 10_000 });
        Assert.NotEqual(first, await page.Locator("#item [data-item]").GetAttributeAsync("data-assignment"));
    }

    [Fact]
    public async Task On_a_phone_submit_stays_in_view_stacked_answers_are_top_and_bottom_steps_keep_words_and_key_hints_go()
    {
        await using var session = await BrowserSession.Start();
        var (page, _) = await Annotator(session, 390, 844, touch: true);

        await page.Locator("#item [data-choice='right']").TapAsync();
        // Nothing is wider than the phone (a wide code block must scroll inside its answer, not widen the page).
        var size = await page.EvaluateAsync<int[]>("() => [window.innerWidth, document.documentElement.scrollWidth, window.innerHeight]");
        var (innerWidth, scrollWidth, innerHeight) = (size[0], size[1], size[2]);
        Assert.True(scrollWidth <= innerWidth, $"the page is {scrollWidth} px wide on a {innerWidth} px screen");
        var submit = (await page.Locator("#item [data-action='submit']").BoundingBoxAsync())!;
        Assert.True(submit.Y >= 0 && submit.Y + submit.Height <= innerHeight, $"Submit spans y {submit.Y:0}..{submit.Y + submit.Height:0}, outside the {innerHeight} px screen");

        var top = (await page.Locator("#item [data-side='left']").BoundingBoxAsync())!;
        var bottom = (await page.Locator("#item [data-side='right']").BoundingBoxAsync())!;
        Assert.True(bottom.Y >= top.Y + top.Height, "at phone width the answers stack");
        Assert.Equal("TOP ANSWER", (await page.Locator("#item [data-side='left'] .answer-name").InnerTextAsync()).Trim().ToUpperInvariant());
        Assert.Equal("BOTTOM ANSWER", (await page.Locator("#item [data-side='right'] .answer-name").InnerTextAsync()).Trim().ToUpperInvariant());
        Assert.Equal("Bottom is better", (await page.Locator("#item [data-choice='right']").InnerTextAsync()).Trim());
        Assert.StartsWith("Bottom answer", await page.Locator("#item [data-hint]").InnerTextAsync());

        foreach (var step in await page.Locator("#item [data-step]").AllAsync())
        {
            var text = await step.InnerTextAsync();
            Assert.True(text.Any(char.IsLetter), $"strength step shows only '{text.Trim()}'");
        }
        Assert.Equal(0, await page.Locator("#item kbd:visible, .label-head kbd:visible").CountAsync());

        await page.Locator("#item [data-action='submit']").TapAsync();
        await page.Locator("#progress[data-mine='1']").WaitForAsync(new() { Timeout = 10_000 });
    }

    private static async Task<(IPage Page, List<string> Errors)> Annotator(BrowserSession session, int width, int height, bool touch = false,
        Project? project = null)
    {
        project ??= E2eData.Project(session);
        var alice = session.Service<AnnotatorService>().Create("alice", AnnotatorRole.Annotator);
        session.Service<ProjectMembers>().Add(project.Id, alice.Annotator.Id);
        var context = await session.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height }, HasTouch = touch, IsMobile = touch,
        });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        await page.GotoAsync($"{session.Url}/signin");
        await page.Locator("#token").FillAsync(alice.Token);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync($"{session.Url}/");
        await page.GotoAsync($"{session.Url}/label/{project.Id}");
        await page.Locator("#item [data-answer='right'][data-rendered]").WaitForAsync();
        return (page, errors);
    }
}
