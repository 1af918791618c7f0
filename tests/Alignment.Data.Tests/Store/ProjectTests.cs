using Alignment.Data.Store;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;

namespace Alignment.Data.Tests.Store;

public class ProjectTests
{
    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Create_get_find_and_list(StoreProvider provider)
    {
        using var db = new TestDb(provider);
        var created = db.Projects.Create(new ProjectSettings("helpfulness", "# Be kind", OverlapK: 3, StrengthMax: 2, AspectsEnabled: true, GoldRate: 0.25, LeaseMinutes: 15));
        Assert.Equal(created, db.Projects.Get(created.Id));
        Assert.Equal(created, db.Projects.GetByName("helpfulness"));
        Assert.Null(db.Projects.Find("nope"));
        Assert.Throws<ProjectNotFoundException>(() => db.Projects.GetByName("nope"));
        Assert.Equal(("# Be kind", 3, 2, true, 0.25, 15), (created.GuidelinesMarkdown, created.OverlapK, created.StrengthMax, created.AspectsEnabled, created.GoldRate, created.LeaseMinutes));
        Assert.Single(db.Projects.List());
        Assert.Throws<DuplicateNameException>(() => db.Projects.Create(new ProjectSettings("helpfulness")));
    }

    [Theory]
    [InlineData(0, 3, 0.1, 30)]
    [InlineData(2, 4, 0.1, 30)]
    [InlineData(2, 3, 1.5, 30)]
    [InlineData(2, 3, 0.1, 0)]
    public void Bad_settings_are_rejected(int k, int strengthMax, double goldRate, int leaseMinutes)
    {
        using var db = new TestDb(StoreProvider.Sqlite);
        Assert.Throws<InvalidRequestException>(() => db.Projects.Create(new ProjectSettings("p", "", k, strengthMax, false, goldRate, leaseMinutes)));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Raising_overlap_reopens_completed_comparisons(StoreProvider provider)
    {
        using var db = new TestDb(provider);
        var project = db.Projects.Create(new ProjectSettings("p", OverlapK: 1, GoldRate: 0));
        db.Comparison(project.Id, "q", "a", "b");
        var queue = new QueueService(db.Store);
        var ann1 = db.Annotator("one");
        var ann2 = db.Annotator("two");
        var item = queue.NextItem(project.Id, ann1)!;
        queue.Submit(item.AssignmentId, ann1, new JudgmentInput(ShownChoice.Tie));
        Assert.Null(queue.NextItem(project.Id, ann2));

        db.Projects.Update(project.Id, new ProjectSettings("p", OverlapK: 2, GoldRate: 0));
        Assert.NotNull(queue.NextItem(project.Id, ann2));
        Assert.Null(queue.NextItem(project.Id, ann1));
    }
}
