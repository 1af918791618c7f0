using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Runs;
using Alignment.Workflows.Definitions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Alignment.LabelingUi.Tests.EndToEnd;

// The designer as an admin meets it at 1440×900 on the shipped demo: the whole graph in view on open, the
// toolbox and Import reachable from the keyboard, the activity count that follows an added node, a toolbar that does
// not wrap when "unsaved changes" appears, and a run dialog that says a draft cannot run before Start is pressed.
[Trait("Category", "EndToEnd")]
public class DesignerViewBrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_demo_opens_fitted_the_toolbox_adds_by_keyboard_the_count_follows_and_a_draft_cannot_start()
    {
        await using var session = await BrowserSession.Start();
        string demo = RunFixtures.RepoFile("workflows", "demo-rlhf.json");
        session.Service<DefinitionLibrary>().Import(demo, "test");
        int count = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(demo))!["root"]!["activities"]!.AsArray().Count;
        var admin = session.Service<AnnotatorService>().Create("admin", AnnotatorRole.Admin);
        var (context, page, errors) = await session.SignIn(admin.Token, width: 1440, height: 900);
        await page.GotoAsync($"{session.Url}/workflows/demo-rlhf/design");
        await page.Locator("[data-designer][data-ready=true]").WaitForAsync();

        // Every one of the demo's nodes lies wholly inside the canvas on open.
        var canvas = (await page.Locator("#designer-canvas").BoundingBoxAsync())!;
        var nodes = await page.Locator("#designer-canvas .x6-node").AllAsync();
        Assert.Equal(count, nodes.Count);
        var outside = 0;
        double width = 0;
        foreach (var node in nodes)
        {
            var box = (await node.BoundingBoxAsync())!;
            width = box.Width;
            if (box.X < canvas.X - 1 || box.Y < canvas.Y - 1 || box.X + box.Width > canvas.X + canvas.Width + 1 || box.Y + box.Height > canvas.Y + canvas.Height + 1)
                outside++;
        }
        Assert.Equal(0, outside);
        output.WriteLine($"fitted on open: node width {width:0} px of 220 (labels {13 * width / 220:0.0} px)");
        Assert.Equal($"{count} activities", await page.Locator("#designer-count").InnerTextAsync());

        // An input is offered only the outputs of activities upstream of it: the reward model's base model can come from
        // sft or createModel, never from dpo or ppo (siblings that run after the fork).
        var rm = (await page.Locator("[data-cell-id=\"rm\"] rect").First.BoundingBoxAsync())!;
        await page.Mouse.ClickAsync(rm.X + rm.Width / 2, rm.Y + rm.Height / 2);
        await page.Locator("#designer-panel select[data-value=\"model\"]").WaitForAsync();
        var offered = await page.Locator("#designer-panel select[data-value=\"model\"] option").AllInnerTextsAsync();
        Assert.Contains("sft.model", offered);
        Assert.Contains("createModel.model", offered);
        Assert.DoesNotContain("dpo.model", offered);
        Assert.DoesNotContain("ppo.model", offered);
        await page.Locator("#designer-canvas").ClickAsync(new LocatorClickOptions { Position = new Position { X = 5, Y = 5 } });

        // Keyboard: a heading, Import JSON and every toolbox entry are focusable controls.
        Assert.Equal(1, await page.Locator("main h1").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => document.getElementById('designer-import').tabIndex >= 0"), "Import JSON is not in the tab order");
        Assert.True(await page.EvaluateAsync<bool>("() => [...document.querySelectorAll('.tool')].every(t => t.tabIndex >= 0)"), "a toolbox entry is not in the tab order");

        // Canvas nodes are reachable too: focus one, Enter selects it and opens its properties; no input is labelled
        // only by a tooltip.
        await page.Locator("[data-cell-id=\"dpo\"]").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#designer-panel h2").Filter(new LocatorFilterOptions { HasText = "DPO" }).WaitForAsync(new() { Timeout = 5_000 });
        Assert.Equal(0, await page.EvaluateAsync<int>(
            "() => [...document.querySelectorAll('#designer-panel input, #designer-panel select, #designer-panel textarea')]" +
            ".filter(e => e.type !== 'hidden' && !e.labels?.length && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')).length"));

        // Enter on a toolbox entry adds the activity; the count follows and the toolbar keeps its height.
        var barHeight = (await page.Locator(".designer-bar").BoundingBoxAsync())!.Height;
        await page.Locator(".tool[data-type=\"Alignment.Sft\"]").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#designer-count").Filter(new LocatorFilterOptions { HasText = $"{count + 1} activities" }).WaitForAsync(new() { Timeout = 5_000 });
        Assert.True(await page.Locator("#designer-unsaved").IsVisibleAsync());
        Assert.Equal(barHeight, (await page.Locator(".designer-bar").BoundingBoxAsync())!.Height, 0.5);

        // Saved with the new stage's inputs missing, the version is a draft: the run dialog says so and Start is disabled.
        await page.Locator("#designer-save").ClickAsync();
        await page.Locator("#designer-status").Filter(new LocatorFilterOptions { HasText = "as a draft" }).WaitForAsync();
        await page.Locator("#designer-run").ClickAsync();
        await page.Locator("#designer-run-dialog [data-run-draft]").WaitForAsync();
        Assert.True(await page.Locator("#designer-run-start").IsDisabledAsync());
        Assert.Empty(errors);
        await context.CloseAsync();
    }
}
