using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Api;

// The concurrency acceptance, through the HTTP API.
public class ConcurrencyTests
{
    [Fact]
    public async Task Twenty_annotators_with_overlap_two_give_every_comparison_exactly_two_judgments_from_two_people()
    {
        using var app = new LabelingFactory();
        var project = app.Project(overlap: 2, pairs: 500);
        var clients = Enumerable.Range(0, 20).Select(i => app.Api(app.Token($"annotator-{i:00}"))).ToList();

        var counts = await Task.WhenAll(clients.Select((api, i) => Task.Run(() => Judge.All(api, project.Id, _ => i % 3 == 0 ? "B" : "A"))));

        Assert.Equal(1000, counts.Sum());
        Assert.Equal(1000, app.Count("SELECT COUNT(1) FROM judgments"));
        Assert.Equal(500, app.Count(
            "SELECT COUNT(1) FROM (SELECT comparison_id FROM judgments WHERE is_active = 1 GROUP BY comparison_id HAVING COUNT(1) = 2 AND COUNT(DISTINCT annotator_id) = 2)"));
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM comparisons WHERE judged <> 2"));
    }
}
