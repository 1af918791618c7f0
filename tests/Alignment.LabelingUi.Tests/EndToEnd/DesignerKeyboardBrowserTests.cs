using System.Text.Json.Nodes;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Runs;
using Alignment.Workflows.Definitions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Alignment.LabelingUi.Tests.EndToEnd;

// The designer at 1440×900 as an admin meets it: the demo in view with labels an admin can read (≥ 11 px on screen),
// F and the Fit button to get back there, a minimum zoom at which the whole demo fits; a definition without positions
// laid out so it fits too; only upstream outputs of the right artifact type offered to an input; and the canvas run by
// keyboard (arrows between nodes, Enter into the form and Escape back, Delete and Ctrl+Z).
[Trait("Category", "EndToEnd")]
public class DesignerKeyboardBrowserTests(ITestOutputHelper output)
{
    private const string LabelSizes =
        "() => [...document.querySelectorAll('#designer-canvas .x6-node text')].filter(t => t.textContent.trim())" +
        ".map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)";

    [Fact]
    public async Task The_demo_opens_fitted_with_readable_labels_F_fits_again_and_the_minimum_zoom_shows_it_all()
    {
        await using var session = await BrowserSession.Start();
        string demo = RunFixtures.RepoFile("workflows", "demo-rlhf.json");
        session.Service<DefinitionLibrary>().Import(demo, "test");
        // The same demo without any positions: the designer lays it out itself.
        var bare = JsonNode.Parse(File.ReadAllText(demo))!.AsObject();
        bare["definitionId"] = "demo-bare";
        bare["id"] = "demo-bare-v1";
        foreach (var activity in bare["root"]!["activities"]!.AsArray()) activity!.AsObject().Remove("metadata");
        string barePath = Path.Combine(session.Home, "demo-bare.json");
        File.WriteAllText(barePath, bare.ToJsonString());
        session.Service<DefinitionLibrary>().Import(barePath, "test");
        var (context, page, errors) = await Open(session, "demo-rlhf");

        await AssertAllInView(page, "on open");
        var sizes = await page.EvaluateAsync<double[]>(LabelSizes);
        output.WriteLine($"on open: labels {sizes.Min():0.0}–{sizes.Max():0.0} px");
        Assert.True(sizes.Min() >= 11, $"the smallest label is {sizes.Min():0.0} px on open");

        // Zoomed in (Ctrl+wheel), part of the graph leaves the view; F brings all of it back at the same size.
        var canvas = (await page.Locator("#designer-canvas").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(canvas.X + canvas.Width / 2, canvas.Y + canvas.Height / 2);
        await Wheel(page, -400, 6);
        Assert.True(await Outside(page) > 0, "zooming in left every node in view");
        await page.Keyboard.PressAsync("f");
        await AssertAllInView(page, "after F");
        Assert.Equal(sizes.Min(), (await page.EvaluateAsync<double[]>(LabelSizes)).Min(), 0.2);
        Assert.Equal("F", await page.Locator("#designer-fit").GetAttributeAsync("aria-keyshortcuts"));

        // Zoomed out as far as Ctrl+wheel goes: the whole demo fits, and the zoom stops at 20 % (13 px node labels → 2.6 px).
        await Wheel(page, 400, 40);
        await AssertAllInView(page, "at the minimum zoom");
        var largest = (await page.EvaluateAsync<double[]>(LabelSizes)).Max();
        output.WriteLine($"minimum zoom: node labels {largest:0.0} px");
        Assert.InRange(largest, 0.2 * 13 - 0.1, 0.2 * 13 + 0.1);

        // Without positions: a layered layout wrapped to the canvas, again all in view with readable labels.
        await page.GotoAsync($"{session.Url}/workflows/demo-bare/design");
        await page.Locator("[data-designer][data-ready=true]").WaitForAsync();
        await AssertAllInView(page, "laid out");
        var laid = await page.EvaluateAsync<double[]>(LabelSizes);
        output.WriteLine($"laid out: labels {laid.Min():0.0} px");
        Assert.True(laid.Min() >= 11, $"the smallest label is {laid.Min():0.0} px after the automatic layout");
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    [Fact]
    public async Task Export_model_is_offered_only_upstream_outputs_of_the_model_type()
    {
        await using var session = await BrowserSession.Start();
        // The demo with an Export model stage after sft: upstream of it are the imports, the tokenizer (a model folder
        // without weights), createModel and sft; dpo, ppo and grpo come later on other branches.
        var definition = JsonNode.Parse(File.ReadAllText(RunFixtures.RepoFile("workflows", "demo-rlhf.json")))!.AsObject();
        definition["definitionId"] = "demo-export";
        definition["id"] = "demo-export-v1";
        definition["root"]!["activities"]!.AsArray().Add(new JsonObject
        {
            ["id"] = "ship", ["name"] = "Ship it", ["type"] = "Alignment.ExportModel", ["version"] = 1,
            ["metadata"] = new JsonObject { ["designer"] = new JsonObject { ["position"] = new JsonObject { ["x"] = 560, ["y"] = 900 } } },
        });
        definition["root"]!["connections"]!.AsArray().Add(new JsonObject
        {
            ["source"] = new JsonObject { ["activity"] = "sft", ["port"] = "Done" }, ["target"] = new JsonObject { ["activity"] = "ship", ["port"] = "In" },
        });
        string path = Path.Combine(session.Home, "demo-export.json");
        File.WriteAllText(path, definition.ToJsonString());
        session.Service<DefinitionLibrary>().Import(path, "test");
        var (context, page, errors) = await Open(session, "demo-export");

        await page.Locator("[data-cell-id=\"ship\"]").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var offered = await page.Locator("#designer-panel select[data-value=\"model\"] option").AllInnerTextsAsync();
        output.WriteLine(string.Join(", ", offered));
        Assert.Equal(["(choose activity.output)", "createModel.model", "sft.model"], offered.OrderBy(o => o, StringComparer.Ordinal));
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    [Fact]
    public async Task Arrows_move_between_nodes_Enter_opens_the_form_Escape_returns_Delete_removes_and_Ctrl_Z_restores()
    {
        await using var session = await BrowserSession.Start();
        string demo = RunFixtures.RepoFile("workflows", "demo-rlhf.json");
        session.Service<DefinitionLibrary>().Import(demo, "test");
        int count = JsonNode.Parse(File.ReadAllText(demo))!["root"]!["activities"]!.AsArray().Count;
        var (context, page, errors) = await Open(session, "demo-rlhf");
        var focused = () => page.EvaluateAsync<string?>("() => document.activeElement?.closest('[data-cell-id]')?.getAttribute('data-cell-id') ?? null");
        int edges = await page.Locator("#designer-canvas .x6-edge").CountAsync();

        // The demo's first rows: sftData prompts evalPrompts / evalPairs rlPrompts tokenizer (its stored positions).
        await page.Locator("[data-cell-id=\"sftData\"]").FocusAsync();
        foreach (var (key, expected) in new[] { ("ArrowRight", "prompts"), ("ArrowDown", "rlPrompts"), ("ArrowLeft", "evalPairs"), ("ArrowUp", "sftData"), ("ArrowDown", "evalPairs"), ("ArrowRight", "rlPrompts"), ("ArrowRight", "tokenizer") })
        {
            await page.Keyboard.PressAsync(key);
            Assert.Equal(expected, await focused());
        }
        Assert.Contains("Train tokenizer", await page.Locator("#designer-panel h2").InnerTextAsync());

        // Enter puts the keyboard in the node's form; Escape brings it back to the node.
        await page.Keyboard.PressAsync("Enter");
        Assert.True(await page.EvaluateAsync<bool>("() => document.getElementById('designer-panel').contains(document.activeElement) && document.activeElement.matches('input, select, textarea')"),
            "Enter did not move the focus into the node's form");
        await page.Keyboard.PressAsync("Escape");
        Assert.Equal("tokenizer", await focused());

        // Delete removes the node with its two connections; the focus moves on to a neighbour; Ctrl+Z puts all back.
        await page.Keyboard.PressAsync("Delete");
        Assert.Equal(0, await page.Locator("[data-cell-id=\"tokenizer\"]").CountAsync());
        Assert.Equal($"{count - 1} activities", await page.Locator("#designer-count").InnerTextAsync());
        Assert.Equal(edges - 2, await page.Locator("#designer-canvas .x6-edge").CountAsync());
        Assert.NotNull(await focused());
        Assert.True(await page.Locator("#designer-status [data-action=undo]").IsVisibleAsync());
        await page.Keyboard.PressAsync("Control+z");
        Assert.Equal(1, await page.Locator("[data-cell-id=\"tokenizer\"]").CountAsync());
        Assert.Equal($"{count} activities", await page.Locator("#designer-count").InnerTextAsync());
        Assert.Equal(edges, await page.Locator("#designer-canvas .x6-edge").CountAsync());
        Assert.Equal("tokenizer", await focused());

        // Saved, the restored stage keeps its inputs: the version is valid (no draft).
        await page.Locator("#designer-save").ClickAsync();
        await page.Locator("#designer-status[data-kind=ok]").WaitForAsync();
        Assert.StartsWith("Saved version 2.", await page.Locator("#designer-status").InnerTextAsync());
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    private static async Task<(IBrowserContext, IPage, List<string>)> Open(BrowserSession session, string definitionId)
    {
        var admin = session.Service<AnnotatorService>().Create($"admin-{definitionId}", AnnotatorRole.Admin);
        var (context, page, errors) = await session.SignIn(admin.Token, width: 1440, height: 900);
        await page.GotoAsync($"{session.Url}/workflows/{definitionId}/design");
        await page.Locator("[data-designer][data-ready=true]").WaitForAsync();
        return (context, page, errors);
    }

    private static async Task Wheel(IPage page, int delta, int times)
    {
        await page.Keyboard.DownAsync("Control");
        for (int i = 0; i < times; i++) await page.Mouse.WheelAsync(0, delta);
        await page.Keyboard.UpAsync("Control");
        await page.WaitForTimeoutAsync(100);
    }

    /// <summary>How many nodes are not wholly inside the canvas.</summary>
    private static Task<int> Outside(IPage page) => page.EvaluateAsync<int>(
        """
        () => {
          const c = document.getElementById('designer-canvas').getBoundingClientRect();
          return [...document.querySelectorAll('#designer-canvas .x6-node')].filter(n => {
            const b = n.querySelector('rect').getBoundingClientRect();
            return b.left < c.left - 1 || b.top < c.top - 1 || b.right > c.right + 1 || b.bottom > c.bottom + 1;
          }).length;
        }
        """);

    private static async Task AssertAllInView(IPage page, string when) => Assert.True(await Outside(page) == 0, $"{await Outside(page)} nodes are not wholly in view {when}");
}
