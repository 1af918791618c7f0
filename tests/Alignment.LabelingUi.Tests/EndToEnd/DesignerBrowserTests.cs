using System.Text.Json.Nodes;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.Workflows.Definitions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Alignment.LabelingUi.Tests.EndToEnd;

// The workflow designer in Chromium: a new workflow, stage types dragged from the toolbox, ports connected by dragging,
// server validation shown on the nodes, properties filled in the panel, Delete and Ctrl+S, and the saved version read
// back from the database; the export is the same graph. Screenshots designer.png and designer-errors.png.
[Trait("Category", "EndToEnd")]
public class DesignerBrowserTests(ITestOutputHelper output)
{
    private const string ErrorStroke = "#b91c1c";

    [Fact]
    public async Task Build_validate_fix_save_and_export_a_workflow_in_the_designer()
    {
        await using var session = await BrowserSession.Start();
        var admin = session.Service<AnnotatorService>().Create("admin", AnnotatorRole.Admin);
        var (context, page, errors) = await session.SignIn(admin.Token, width: 1600, height: 950);
        var shots = BrowserSession.ScreenshotFolder();

        // A new workflow from the list page opens the designer on its version 1.
        await page.GotoAsync($"{session.Url}/workflows");
        await page.Locator("[data-new-workflow] input[name=definitionId]").FillAsync("e2e-flow");
        await page.Locator("[data-new-workflow] input[name=name]").FillAsync("E2E flow");
        await page.Locator("[data-new-workflow] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync($"{session.Url}/workflows/e2e-flow/design");
        await page.Locator("[data-designer][data-ready=true]").WaitForAsync();

        var canvas = (await page.Locator("#designer-canvas").BoundingBoxAsync())!;
        await DragTool(page, "Alignment.ImportModel", canvas.X + 150, canvas.Y + 120);
        await DragTool(page, "Alignment.ImportDataset", canvas.X + 450, canvas.Y + 120);
        await DragTool(page, "Alignment.Sft", canvas.X + 750, canvas.Y + 120);
        await DragTool(page, "Elsa.FlowDecision", canvas.X + 450, canvas.Y + 320);
        foreach (var id in new[] { "importModel", "importDataset", "sft", "flowDecision" })
            await page.Locator($"[data-cell-id=\"{id}\"]").WaitForAsync();

        // The decision has two named outcomes; Delete removes the selected node.
        Assert.Equal(1, await page.Locator("[data-cell-id=\"flowDecision\"] [port=\"True\"]").CountAsync());
        Assert.Equal(1, await page.Locator("[data-cell-id=\"flowDecision\"] [port=\"False\"]").CountAsync());
        await ClickNode(page, "flowDecision");
        await page.Locator("#designer-panel h2").Filter(new LocatorFilterOptions { HasText = "Decision" }).WaitForAsync();
        await page.Keyboard.PressAsync("Delete");
        await page.Locator("[data-cell-id=\"flowDecision\"]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached });

        await Connect(page, "importModel", "importDataset");
        await Connect(page, "importDataset", "sft");
        Assert.Equal(2, await page.Locator(".x6-edge").CountAsync());

        // Server validation: the missing required inputs mark the nodes red and list the errors.
        await page.Locator("#designer-validate").ClickAsync();
        await page.Locator("#designer-errors:not([hidden])").WaitForAsync();
        Assert.Contains("validation error", await page.Locator("#designer-status").InnerTextAsync());
        Assert.True(await page.Locator("[data-error-activity=\"sft\"]").CountAsync() >= 2, "errors for sft.model and sft.dataset");
        Assert.Equal(ErrorStroke, await page.Locator("[data-cell-id=\"sft\"] rect").First.GetAttributeAsync("stroke"));
        Assert.Equal(ErrorStroke, await page.Locator("[data-cell-id=\"importDataset\"] rect").First.GetAttributeAsync("stroke"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "designer-errors.png") });

        // Clicking an error selects its node; the panel shows the input's error. Fill every property.
        await page.Locator("[data-error-activity=\"sft\"] button").First.ClickAsync();
        await page.Locator("#designer-panel [data-input=\"dataset\"].has-error").WaitForAsync();
        await page.Locator("#designer-panel select[data-value=\"model\"]").SelectOptionAsync("importModel.model");
        await page.Locator("#designer-panel select[data-value=\"dataset\"]").SelectOptionAsync("importDataset.dataset");
        await page.Locator("#designer-panel [data-input=\"maxSteps\"] input[data-value=\"maxSteps\"]").FillAsync("3");
        await ClickNode(page, "importModel");
        await page.Locator("#designer-panel [data-input=\"path\"] input[data-value=\"path\"]").FillAsync("models/tiny");
        await ClickNode(page, "importDataset");
        await page.Locator("#designer-panel [data-input=\"path\"] input[data-value=\"path\"]").FillAsync("data/sft.jsonl");

        await page.Locator("#designer-validate").ClickAsync();
        await page.Locator("#designer-status[data-kind=ok]").WaitForAsync();
        Assert.True(await page.Locator("#designer-errors").IsHiddenAsync());
        Assert.NotEqual(ErrorStroke, await page.Locator("[data-cell-id=\"sft\"] rect").First.GetAttributeAsync("stroke"));

        // Ctrl+S saves version 2; the database has both versions, the new one with the three activities and the connections.
        await page.Locator("#designer-canvas").ClickAsync(new LocatorClickOptions { Position = new Position { X = 40, Y = 500 } });
        await page.Keyboard.PressAsync("Control+s");
        await page.Locator("#designer-status").Filter(new LocatorFilterOptions { HasText = "Saved version 2." }).WaitForAsync();
        Assert.EndsWith("/workflows/e2e-flow/design?version=2", page.Url);
        var repository = session.Service<DefinitionRepository>();
        Assert.Equal([2, 1], repository.Versions("e2e-flow").Select(v => v.Version));
        var stored = repository.Get("e2e-flow");
        Assert.Equal(0, stored.Info.ErrorCount);
        Assert.Equal(["importModel", "importDataset", "sft"], stored.Definition.Activities.Select(a => a.Id));
        Assert.Equal(["importModel:Done -> importDataset:In", "importDataset:Done -> sft:In"], stored.Definition.Connections.Select(c => c.ToString()));
        var sft = stored.Definition.FindActivity("sft")!;
        Assert.Equal("importDataset.dataset", sft.GetInput("dataset")!.Expression!.Text);
        Assert.Equal(ExpressionKind.Output, sft.GetInput("model")!.Expression!.Kind);
        Assert.Equal(3, sft.GetInput("maxSteps")!.Expression!.Value!.GetValue<int>());
        Assert.Equal("models/tiny", stored.Definition.FindActivity("importModel")!.GetInput("path")!.Expression!.Text);
        Assert.All(stored.Definition.Activities, a => Assert.NotNull(a.Position));
        Assert.True(stored.Definition.FindActivity("sft")!.Position!.Value.X > stored.Definition.FindActivity("importDataset")!.Position!.Value.X);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "designer.png") });

        // Export downloads the same graph.
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#designer-export").ClickAsync());
        Assert.Equal("e2e-flow-v2.json", download.SuggestedFilename);
        var exported = JsonNode.Parse(await File.ReadAllTextAsync((await download.PathAsync())!))!;
        Assert.Equal("e2e-flow", (string?)exported["definitionId"]);
        Assert.Equal(3, exported["root"]!["activities"]!.AsArray().Count);
        Assert.Equal(2, exported["root"]!["connections"]!.AsArray().Count);
        Assert.True(JsonNode.DeepEquals(stored.Definition.Json["root"], exported["root"]), "the export matches the saved version");

        Assert.Empty(errors);
        output.WriteLine($"screenshots in {shots}");
        await context.CloseAsync();
    }

    [Fact]
    public async Task A_shipped_definition_opens_laid_out_and_saves_back_unchanged()
    {
        await using var session = await BrowserSession.Start();
        var admin = session.Service<AnnotatorService>().Create("admin", AnnotatorRole.Admin);
        var library = session.Service<DefinitionLibrary>();
        var file = Path.Combine(BrowserSession.ScreenshotFolder(), "..", "..", "workflows", "iterative-dpo.json");
        var imported = library.Import(file, "test").Stored;
        var (context, page, errors) = await session.SignIn(admin.Token, width: 1600, height: 950);

        await page.GotoAsync($"{session.Url}/workflows/iterative-dpo/design");
        await page.Locator("[data-designer][data-ready=true]").WaitForAsync();
        Assert.Equal(imported.Definition.Activities.Count, await page.Locator(".x6-node").CountAsync());
        Assert.Equal(imported.Definition.Connections.Count, await page.Locator(".x6-edge").CountAsync());
        await page.Locator("#designer-save").ClickAsync();
        await page.Locator("#designer-status").Filter(new LocatorFilterOptions { HasText = "Saved version 2." }).WaitForAsync();

        var saved = session.Service<DefinitionRepository>().Get("iterative-dpo", 2).Definition.Json;
        var expected = imported.Definition.Json.DeepClone().AsObject();
        expected["version"] = 2;
        expected["id"] = "iterative-dpo-v2";
        Assert.True(JsonNode.DeepEquals(expected, saved), $"saved:\n{saved}");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserSession.ScreenshotFolder(), "designer-shipped.png") });
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    [Fact]
    public async Task Run_asks_for_the_workflow_inputs_and_links_to_the_run()
    {
        await using var session = await BrowserSession.Start();
        var admin = session.Service<AnnotatorService>().Create("admin", AnnotatorRole.Admin);
        var file = Path.Combine(BrowserSession.ScreenshotFolder(), "..", "..", "workflows", "labeling-roundtrip.json");
        session.Service<DefinitionLibrary>().Import(file, "test");
        var (context, page, errors) = await session.SignIn(admin.Token, width: 1600, height: 950);

        await page.GotoAsync($"{session.Url}/workflows/labeling-roundtrip/design");
        await page.Locator("[data-designer][data-ready=true]").WaitForAsync();
        await page.Locator("#designer-run").ClickAsync();
        Assert.Equal(2, await page.Locator("[data-run-input]").CountAsync()); // responses, judge
        await page.Locator("[data-run-input=\"judge\"]").FillAsync("length");
        await page.Locator("#designer-run-start").ClickAsync();
        var link = page.Locator("[data-run-link]");
        await link.WaitForAsync();
        var id = await link.GetAttributeAsync("data-run-link");
        Assert.Equal($"/runs/{id}", await link.GetAttributeAsync("href"));

        var running = session.Service<LabelingUi.Features.Workflows.WorkflowRunLauncher>().Running(id!);
        if (running is not null) await running.WaitAsync(TimeSpan.FromMinutes(2));
        var instance = session.Service<Alignment.Workflows.Execution.WorkflowEngine>().Repository.Get(id!);
        Assert.Equal(Alignment.Workflows.Execution.InstanceStatus.Finished, instance.Status);
        Assert.Equal("length", instance.Inputs["judge"]!.GetValue<string>());
        Assert.Empty(errors);
        await context.CloseAsync();
    }

    private static async Task DragTool(IPage page, string type, float x, float y)
    {
        var tool = page.Locator($".tool[data-type=\"{type}\"]");
        await tool.ScrollIntoViewIfNeededAsync();
        var box = (await tool.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box.X + box.Width / 2 + 20, box.Y + box.Height / 2, new MouseMoveOptions { Steps = 3 });
        await page.Mouse.MoveAsync(x, y, new MouseMoveOptions { Steps = 12 });
        await page.Mouse.UpAsync();
    }

    private static async Task Connect(IPage page, string source, string target)
    {
        var from = (await page.Locator($"[data-cell-id=\"{source}\"] [port=\"Done\"]").BoundingBoxAsync())!;
        var to = (await page.Locator($"[data-cell-id=\"{target}\"] [port=\"In\"]").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(from.X + from.Width / 2, from.Y + from.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(to.X + to.Width / 2 - 30, to.Y + to.Height / 2, new MouseMoveOptions { Steps = 12 });
        await page.Mouse.MoveAsync(to.X + to.Width / 2, to.Y + to.Height / 2, new MouseMoveOptions { Steps = 4 });
        await page.Mouse.UpAsync();
    }

    private static async Task ClickNode(IPage page, string id)
    {
        var box = (await page.Locator($"[data-cell-id=\"{id}\"] rect").First.BoundingBoxAsync())!;
        await page.Mouse.ClickAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
    }
}
