using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Api;

// Annotators never receive the model behind an answer: not in the API, not in pages, not in htmx fragments.
public class NoModelNamesTests
{
    private static void AssertNoModel(string text)
    {
        Assert.DoesNotContain(LabelingFactory.ModelA, text);
        Assert.DoesNotContain(LabelingFactory.ModelB, text);
        Assert.DoesNotContain("model-", text);
    }

    [Fact]
    public async Task Api_responses_to_annotators_carry_no_model_names()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 2);
        var api = app.Api(app.Token("ann"));

        var next = await (await api.GetAsync($"/api/projects/{project.Id}/next")).Content.ReadAsStringAsync();
        AssertNoModel(next);
        var assignment = System.Text.Json.JsonDocument.Parse(next).RootElement.GetProperty("assignment_id").GetInt64();
        AssertNoModel(await (await api.PostJson($"/api/assignments/{assignment}/judgment", new { choice = "left" })).Content.ReadAsStringAsync());
        AssertNoModel(await (await api.PostAsync($"/api/projects/{project.Id}/undo", null)).Content.ReadAsStringAsync());
        AssertNoModel(await (await api.GetAsync("/api/projects")).Content.ReadAsStringAsync());
        AssertNoModel(await (await api.GetAsync($"/api/projects/{project.Id}/progress")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Pages_and_fragments_for_annotators_carry_no_model_names_but_the_admin_review_does()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 2, overlap: 2);
        var browser = await app.SignedIn(app.Token("ann"));

        var page = await browser.GetStringAsync($"/label/{project.Id}");
        AssertNoModel(page);
        AssertNoModel(await browser.GetStringAsync("/"));
        var assignment = app.Count("SELECT id FROM assignments");
        var fragment = await browser.HtmxPost($"/label/{project.Id}", $"/ui/projects/{project.Id}/submit",
            new Dictionary<string, string> { ["assignment_id"] = assignment.ToString(), ["choice"] = "left", ["strength"] = "-1" });
        AssertNoModel(await fragment.Content.ReadAsStringAsync());

        // Positive control: the admin's disagreement review names the models (the page's open row shows them, see
        // DisagreementsPageTests; here the same list from the API).
        await Judge.All(app.Api(app.Token("other")), project.Id, _ => "tie");
        var admin = app.Api(app.Token("root", Data.Model.AnnotatorRole.Admin));
        Assert.Contains(LabelingFactory.ModelA, await admin.GetStringAsync($"/api/projects/{project.Id}/disagreements"));
    }
}
