using System.Text.Json.Nodes;
using Alignment.LabelingUi.Features.Runs;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Execution;
using AngleSharp.Dom;
using Bunit;

namespace Alignment.LabelingUi.Tests.Components;

// The artifact page (interactive): details, inputs, the producing stage's parameters and the files as grids that sort,
// filter and page.
public class ArtifactPageTests
{
    [Fact]
    public async Task The_files_grid_sorts_searches_and_pages_and_links_each_file()
    {
        await using var h = new ComponentHarness();
        var engine = h.App.Service<WorkflowEngine>();
        var names = Enumerable.Range(0, 28).Select(i => $"shard-{i:00}.bin").Append("charts/win rate.svg").Append("report.md").ToList();
        var artifact = Folder(engine, names, ArtifactKind.Report, new ArtifactProvenance(null, null, new JsonObject(), []));
        var page = h.Context.Render<ArtifactPage>(p => p.Add(x => x.Hash, artifact.Hash[..12]));

        Assert.Equal("report", page.Find("[data-field='kind']").TextContent);
        Assert.Equal(artifact.Hash, page.Find("[data-field='hash']").TextContent);
        // Name order, 25 a page: 30 files leave 5 for the second page.
        Assert.Equal(names.Order(StringComparer.Ordinal).Take(25), Files(page));
        await page.Find("[data-artifact-files] button[aria-label='Next page']").ClickAsync();
        Assert.Equal(names.Order(StringComparer.Ordinal).Skip(25), Files(page));

        await ComponentHarness.SortHeader(page, "File").ClickAsync();
        await ComponentHarness.SortHeader(page, "File").ClickAsync();
        Assert.Equal(names.OrderDescending(StringComparer.Ordinal).Skip(25), Files(page));   // still on the second page

        await page.Find("[data-artifact-files] input[data-search]").InputAsync("WIN");
        Assert.Equal(["charts/win rate.svg"], Files(page));
        Assert.Equal($"/ui/admin/artifacts/{artifact.Hash}/files/charts/win%20rate.svg", page.Find("[data-file]").GetAttribute("href"));
    }

    [Fact]
    public async Task The_inputs_grid_links_each_input_and_sorts_by_name()
    {
        await using var h = new ComponentHarness();
        var engine = h.App.Service<WorkflowEngine>();
        var data = Folder(engine, ["train.jsonl"], ArtifactKind.Dataset, new ArtifactProvenance(null, null, new JsonObject(), []));
        var model = Folder(engine, ["config.json"], ArtifactKind.Model, new ArtifactProvenance(null, null, new JsonObject(), []));
        var policy = Folder(engine, ["weights.bin"], ArtifactKind.Model,
            new ArtifactProvenance(null, null, new JsonObject(), [new ArtifactInput("model", model.Hash), new ArtifactInput("data", data.Hash)]));
        var page = h.Context.Render<ArtifactPage>(p => p.Add(x => x.Hash, policy.Hash));

        await ComponentHarness.SortHeader(page, "Input").ClickAsync();
        Assert.Equal(["data", "model"], page.FindAll("[data-input-name]").Select(e => e.TextContent));
        await ComponentHarness.SortHeader(page, "Input").ClickAsync();
        Assert.Equal(["model", "data"], page.FindAll("[data-input-name]").Select(e => e.TextContent));
        Assert.Equal($"/runs/artifacts/{data.Hash}", page.Find("[data-artifact-inputs] a[href*='" + data.Hash + "']").GetAttribute("href"));
        Assert.Contains("dataset", page.Find("[data-artifact-inputs]").TextContent);
    }

    private static ArtifactRecord Folder(WorkflowEngine engine, IEnumerable<string> files, ArtifactKind kind, ArtifactProvenance provenance)
    {
        var temp = engine.Artifacts.NewTempPath();
        foreach (var file in files)
        {
            var path = Path.Combine(temp, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file);
        }
        return engine.Artifacts.Ingest(temp, kind, provenance);
    }

    private static string[] Files(IRenderedComponent<ArtifactPage> page) => page.FindAll("[data-file]").Select(e => e.TextContent).ToArray();
}
