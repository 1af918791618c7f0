using System.Net;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.LabelingUi.Features.Projects;
using Alignment.LabelingUi.Features.Reports;
using Alignment.LabelingUi.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components.Forms;

namespace Alignment.LabelingUi.Tests.Components;

// The project settings page (interactive): members, skipped items and live activity as grids, the activity read again by
// the component's timer; members added and removed, skipped items reopened, settings and pairing saved through validated
// forms, and files imported with the store's file/line/field errors, all over the circuit.
public class ProjectAdminPageTests
{
    private static IRenderedComponent<ProjectAdminPage> Open(ComponentHarness h, long projectId) =>
        h.Context.Render<ProjectAdminPage>(p => p.Add(x => x.ProjectId, projectId));

    private static Annotator Account(ComponentHarness h, string name) => h.App.Service<AnnotatorService>().List().Single(a => a.Name == name);

    [Fact]
    public async Task Members_are_added_removed_searched_and_sorted()
    {
        await using var h = new ComponentHarness();
        var project = h.App.Project("open", pairs: 1, members: false);
        h.App.Token("bo", member: false);
        h.App.Token("al", member: false);
        var page = Open(h, project.Id);
        Assert.NotEmpty(page.FindAll("[data-no-members]"));

        // The candidates: active accounts that are not members (root, al, bo), listed by the store.
        await page.Find("select[data-candidate]").ChangeAsync(Account(h, "bo").Id.ToString());
        await page.Find("[data-add-member] button").ClickAsync();
        Assert.Contains("bo is now a member.", h.Snackbars.Markup);
        await page.Find("select[data-candidate]").ChangeAsync(Account(h, "al").Id.ToString());
        await page.Find("[data-add-member] button").ClickAsync();
        Assert.Equal(["al", "bo"], h.App.Service<ProjectMembers>().List(project.Id).Select(m => m.Name).Order().ToArray());
        Assert.Equal(2, Members(page).Length);
        Assert.DoesNotContain(page.FindAll("select[data-candidate] option"), o => o.TextContent is "al" or "bo");

        await ComponentHarness.SortHeader(page, "Name").ClickAsync();
        Assert.Equal(["al", "bo"], Members(page));
        await ComponentHarness.SortHeader(page, "Name").ClickAsync();
        Assert.Equal(["bo", "al"], Members(page));
        await page.Find("input[data-member-search]").InputAsync("B");
        Assert.Equal(["bo"], Members(page));
        await page.Find("input[data-member-search]").InputAsync("");

        await page.Find("[data-remove-member='bo']").ClickAsync();
        Assert.Contains("bo is no longer a member; the items they held went back to the pool.", h.Snackbars.Markup);
        Assert.Equal(["al"], h.App.Service<ProjectMembers>().List(project.Id).Select(m => m.Name).ToArray());
        Assert.Equal(["al"], Members(page));
    }

    [Fact]
    public async Task The_admin_sees_which_item_was_skipped_and_reopens_it_for_the_skipper()
    {
        await using var h = new ComponentHarness();
        var project = h.App.Project(overlap: 2, pairs: 2);
        var al = h.App.Api(h.App.Token("al"));
        var bo = h.App.Api(h.App.Token("bo"));
        var first = await (await al.GetAsync($"/api/projects/{project.Id}/next")).Json();
        var assignment = first.GetProperty("assignment_id").GetInt64();
        var skippedComparison = h.App.Count("SELECT comparison_id FROM assignments WHERE id = @assignment", new { assignment });
        Assert.Equal(HttpStatusCode.NoContent, (await al.PostAsync($"/api/assignments/{assignment}/skip", null)).StatusCode);
        await Judge.All(al, project.Id, _ => "A");
        await Judge.All(bo, project.Id, _ => "B");
        Assert.Equal(HttpStatusCode.NoContent, (await al.GetAsync($"/api/projects/{project.Id}/next")).StatusCode);

        var page = Open(h, project.Id);
        Assert.Equal(skippedComparison.ToString(), Assert.Single(page.FindAll("[data-skipped-comparison]")).TextContent);
        var row = page.Find("[data-skipped-comparison]").Closest("tr")!;
        Assert.Contains("1 of 2", row.TextContent);   // bo judged it, al skipped it; two judgments are needed

        await page.Find($"[data-reopen='{skippedComparison}']").ClickAsync();
        Assert.Contains($"Comparison {skippedComparison} is open again to the 1 annotator who skipped it.", h.Snackbars.Markup);
        Assert.Empty(page.FindAll("[data-skipped-comparison]"));

        var again = await (await al.GetAsync($"/api/projects/{project.Id}/next")).Json();
        Assert.Equal(first.GetProperty("prompt").GetString(), again.GetProperty("prompt").GetString());
    }

    [Fact]
    public async Task The_activity_grid_reads_the_store_again_on_its_timer()
    {
        await using var h = new ComponentHarness();
        var project = h.App.Project(pairs: 3);
        var page = Open(h, project.Id);
        Assert.Contains("Nobody has started on this project yet.", page.Markup);

        await Judge.All(h.App.Api(h.App.Token("al")), project.Id, _ => "A");
        Assert.Empty(page.FindAll("[data-activity-annotator]"));   // not before the timer fires

        page.WaitForAssertion(() => Assert.Equal("3", page.Find("[data-activity-annotator='al']").Closest("tr")!.QuerySelector("[data-judged]")!.TextContent),
            ActivityGrid.RefreshEvery * 3);
    }

    [Fact]
    public async Task Importing_reports_counts_and_a_bad_file_names_file_line_and_field_and_writes_nothing()
    {
        await using var h = new ComponentHarness();
        var project = h.App.Project(pairs: 0);
        var page = Open(h, project.Id);

        await page.Find("[data-import-form] button").ClickAsync();
        Assert.Equal("Choose a file to import.", page.Find("[data-import-error]").TextContent);

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(LabelingFactory.PairsJsonl(3), "pairs.jsonl"));
        await page.Find("[data-import-form] button").ClickAsync();
        Assert.Contains("Imported pairs.jsonl: 3 rows → 3 new prompts, 6 new responses, 3 new comparisons (0 already present).", h.Snackbars.Markup);
        Assert.Empty(page.FindAll("[data-import-error]"));

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("prompt,response_a,response_b\nnew prompt,x,\n", "more.csv"));
        await page.Find("[data-import-form] button").ClickAsync();
        Assert.Equal("more.csv:2: field \"response_b\" is empty", page.Find("[data-import-error]").TextContent);
        Assert.Equal(3, h.App.Count("SELECT COUNT(1) FROM comparisons"));
        Assert.Equal(0, h.App.Count("SELECT COUNT(1) FROM prompts WHERE text = 'new prompt'"));
    }

    [Fact]
    public async Task A_failed_responses_import_keeps_responses_chosen_and_names_the_completion_alias()
    {
        await using var h = new ComponentHarness();
        var project = h.App.Project(pairs: 0);
        var page = Open(h, project.Id);

        await page.Find("select[data-import-kind]").ChangeAsync("responses");
        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("{\"prompt\":\"p\",\"answer\":\"a\"}\n", "responses.jsonl"));
        await page.Find("[data-import-form] button").ClickAsync();
        Assert.Equal("responses.jsonl:1: field \"response\" is missing (its alias \"completion\" is accepted too)", page.Find("[data-import-error]").TextContent);
        Assert.Equal("responses", page.Find("select[data-import-kind]").GetAttribute("value"));

        page.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText("{\"prompt\":\"p\",\"completion\":\"a\"}\n", "responses.jsonl"));
        await page.Find("[data-import-form] button").ClickAsync();
        Assert.Equal(1, h.App.Count("SELECT COUNT(1) FROM responses WHERE text = 'a'"));
    }

    [Fact]
    public async Task Pairing_is_validated_and_never_pairs_two_answers_of_one_model_when_asked()
    {
        await using var h = new ComponentHarness();
        var project = h.App.Project(pairs: 0);
        // One prompt, three answers: two of model x, one of y. Every pair but x–x: 2 comparisons.
        h.App.Import(project.Id, """
            {"prompt":"p","response":"r1","model":"x"}
            {"prompt":"p","response":"r2","model":"x"}
            {"prompt":"p","response":"r3","model":"y"}
            """, "answers.jsonl", Data.ImportExport.ImportKind.Responses);
        var page = Open(h, project.Id);

        await page.Find("input[data-pair-k]").ChangeAsync("0");
        await page.Find("form[data-pair-form]").SubmitAsync();
        Assert.Contains("K is between 1 and 1000.", page.Markup);
        Assert.Equal(0, h.App.Count("SELECT COUNT(1) FROM comparisons"));

        await page.Find("input[data-pair-k]").ChangeAsync("1");
        await page.Find("form[data-pair-form]").SubmitAsync();
        Assert.Contains("Created 2 comparisons.", h.Snackbars.Markup);
        Assert.Equal(2, h.App.Count("SELECT COUNT(1) FROM comparisons"));
    }

    [Fact]
    public async Task Settings_are_validated_then_saved()
    {
        await using var h = new ComponentHarness();
        var project = h.App.Project("before", overlap: 1, pairs: 1);
        var page = Open(h, project.Id);

        await page.Find("input[data-settings-name]").ChangeAsync("");
        await page.Find("input[data-settings-overlap]").ChangeAsync("0");
        await page.Find("form[data-settings-form]").SubmitAsync();
        Assert.Contains("The project name is required.", page.Markup);
        Assert.Contains("Overlap k is between 1 and 100.", page.Markup);
        Assert.Equal(("before", 1), (h.App.Service<ProjectService>().Get(project.Id).Name, h.App.Service<ProjectService>().Get(project.Id).OverlapK));

        await page.Find("input[data-settings-name]").ChangeAsync("after");
        await page.Find("input[data-settings-overlap]").ChangeAsync("3");
        await page.Find("form[data-settings-form]").SubmitAsync();
        Assert.Contains("Settings saved.", h.Snackbars.Markup);
        var saved = h.App.Service<ProjectService>().Get(project.Id);
        Assert.Equal(("after", 3), (saved.Name, saved.OverlapK));
        Assert.Equal("after", page.Find("h1").TextContent);
    }

    private static string[] Members(IRenderedComponent<ProjectAdminPage> page) =>
        page.FindAll("[data-member]").Select(e => e.TextContent).ToArray();
}
