using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Store;

namespace Alignment.Data.Tests.Labeling;

public class LabelQueriesTests
{
    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Active_reads_the_active_judgments_of_the_listed_comparisons_only(StoreProvider provider)
    {
        using var db = new TestDb(provider);
        var project = db.Projects.Create(new ProjectSettings("p", OverlapK: 1));
        for (var i = 0; i < 3; i++)
            db.Comparison(project.Id, $"prompt {i}", $"answer A{i}", $"answer B{i}", "model-a", "model-b");
        var queue = new QueueService(db.Store, new Random(7));
        var annotator = db.Annotator("ann");
        var judged = new Dictionary<long, string>();
        for (var i = 0; i < 3; i++)
        {
            var item = queue.NextItem(project.Id, annotator)!;
            // Left wins by 2: outcome A when A is shown on the left, B otherwise.
            queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Left, -2));
            judged[item.ComparisonId] = item.LeftText.StartsWith("answer A", StringComparison.Ordinal) ? "A" : "B";
        }
        var listed = judged.Keys.Order().Take(2).ToArray();

        var labels = new LabelQueries(db.Store).Active(listed);

        Assert.Equal(listed, labels.Votes.Select(v => v.ComparisonId).Order());
        foreach (var vote in labels.Votes)
        {
            Assert.Equal("ann", vote.Annotator);
            Assert.Equal(judged[vote.ComparisonId], vote.Outcome);
            Assert.Equal(vote.Outcome == "A" ? -2 : 2, vote.Strength);
        }
        Assert.Empty(labels.Adjudications);
    }
}
