using Alignment.Data.Store;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Reports;

namespace Alignment.Data.Tests.Reports;

public class AgreementServiceTests
{
    /// <summary>Has <paramref name="annotator"/> judge every item they are served with the outcome <paramref name="decide"/> gives.</summary>
    private static void JudgeAll(QueueService queue, long projectId, long annotator, Func<string, Outcome> decide)
    {
        while (queue.NextItem(projectId, annotator) is { } item)
        {
            var outcome = decide(item.Prompt);
            var strength = outcome switch { Outcome.A => -1, Outcome.B => 1, _ => 0 };
            var (choice, shown) = ShownFrame.ToShown(outcome, strength, item.LeftText.StartsWith("A:", StringComparison.Ordinal));
            queue.Submit(item.AssignmentId, annotator, new JudgmentInput(choice, shown));
        }
    }

    // Two annotators on 50 comparisons laid out as Wikipedia's Cohen's-kappa example (20 both A, 5 A/B,
    // 10 B/A, 15 both B): κ = 0.4. By hand, for these data Krippendorff's α (nominal) is
    // 1 − (n−1)·Σo_{c≠k} / Σ n_c n_k = 1 − 99·30 / (2·55·45) = 0.4, and ordinal α over strengths ±1 equals it
    // (two values); Fleiss' κ with two raters is Scott's π = (0.7 − 0.505) / 0.495 = 0.39394.
    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Kappa_alpha_and_gold_accuracy_through_the_store(StoreProvider provider)
    {
        using var db = new TestDb(provider);
        var project = db.Projects.Create(new ProjectSettings("agree", OverlapK: 2, GoldRate: 0.5));
        var plan = new Dictionary<string, (Outcome First, Outcome Second)>();
        for (var i = 0; i < 50; i++)
        {
            var outcomes = i < 20 ? (Outcome.A, Outcome.A) : i < 25 ? (Outcome.A, Outcome.B) : i < 35 ? (Outcome.B, Outcome.A) : (Outcome.B, Outcome.B);
            plan[$"item {i}"] = outcomes;
            db.Comparison(project.Id, $"item {i}", $"A:{i}", $"B:{i}");
        }
        db.Comparison(project.Id, "gold 1", "A:g1", "B:g1", gold: Outcome.A, goldStrength: -2);
        db.Comparison(project.Id, "gold 2", "A:g2", "B:g2", gold: Outcome.B, goldStrength: 1);
        var queue = new QueueService(db.Store, new Random(9));
        var first = db.Annotator("first");
        var second = db.Annotator("second");
        JudgeAll(queue, project.Id, first, prompt => prompt.StartsWith("gold", StringComparison.Ordinal) ? (prompt == "gold 1" ? Outcome.A : Outcome.B) : plan[prompt].First);
        JudgeAll(queue, project.Id, second, prompt => prompt.StartsWith("gold", StringComparison.Ordinal) ? Outcome.A : plan[prompt].Second);

        var report = new AgreementService(db.Store).Compute(project.Id);
        // The gold items are judged by both (A/A on gold 1, B/A on gold 2): 52 shared items in the pair table.
        var pair = Assert.Single(report.Pairs);
        Assert.Equal(("first", "second", 52), (pair.AnnotatorA, pair.AnnotatorB, pair.Items));

        var regular = AgreementService.Build(2, Enumerable.Range(0, 50).SelectMany(i => new[]
        {
            new AgreementService.Judged(i, "first", plan[$"item {i}"].First, plan[$"item {i}"].First == Outcome.A ? -1 : 1),
            new AgreementService.Judged(i, "second", plan[$"item {i}"].Second, plan[$"item {i}"].Second == Outcome.A ? -1 : 1),
        }).ToList(), new Dictionary<long, Outcome>());
        Assert.Equal(0.4, regular.Pairs.Single().Kappa!.Value, 12);
        Assert.Equal(0.7, regular.Pairs.Single().Agreement, 12);
        Assert.Equal(0.4, regular.AlphaNominalOutcome!.Value, 12);
        Assert.Equal(0.4, regular.AlphaOrdinalStrength!.Value, 12);
        Assert.Equal(0.195 / 0.495, regular.FleissKappa!.Value, 12);
        Assert.Equal((50, 50), (regular.FleissItems, regular.AlphaItems));

        Assert.Equal([new GoldAccuracy("first", 2, 2), new GoldAccuracy("second", 2, 1)], report.Gold);
        Assert.Equal(0.5, report.Gold[1].Accuracy);
        Assert.Equal((52, 52), (report.FleissItems, report.AlphaItems));
    }

    [Fact]
    public void No_shared_items_means_undefined_coefficients_not_zero()
    {
        var report = AgreementService.Build(2, [new AgreementService.Judged(1, "x", Outcome.A, -1)], new Dictionary<long, Outcome>());
        Assert.Empty(report.Pairs);
        Assert.Null(report.FleissKappa);
        Assert.Null(report.AlphaNominalOutcome);
    }
}

public class LeaderboardTests
{
    private static List<(string, string, Outcome)> HandExample(int times) =>
    [
        .. Enumerable.Repeat(("m1", "m2", Outcome.A), 2 * times), .. Enumerable.Repeat(("m1", "m2", Outcome.B), times),
        .. Enumerable.Repeat(("m3", "m1", Outcome.B), 2 * times), .. Enumerable.Repeat(("m3", "m1", Outcome.A), times),
        .. Enumerable.Repeat(("m2", "m3", Outcome.Tie), 2 * times),
    ];

    // The hand-derived three-item example (see BradleyTerryTests): γ = (2, 1, 1) with m2–m3 as two ties
    // (one win each side in score), so θ = ln γ − mean(ln γ): m1 = 2·ln2/3, m2 = m3 = −ln2/3.
    [Fact]
    public void Ratings_follow_the_mle_on_the_elo_scale()
    {
        var board = LeaderboardService.Rank(HandExample(1), new LeaderboardOptions(Resamples: 200, PriorTies: 0));
        Assert.Equal(["m1", "m2", "m3"], board.Select(e => e.Model).Take(1).Concat(board.Skip(1).Select(e => e.Model).Order()));
        Assert.Equal(BradleyTerryFitElo(2 * Math.Log(2) / 3), board[0].Rating, 5);
        Assert.Equal(BradleyTerryFitElo(-Math.Log(2) / 3), board[1].Rating, 5);
        Assert.Equal((6, 4, 2, 0), (board[0].Battles, board[0].Wins, board[0].Losses, board[0].Ties));
        var m2 = board.Single(e => e.Model == "m2");
        Assert.Equal((5, 1, 2, 2), (m2.Battles, m2.Wins, m2.Losses, m2.Ties));
    }

    [Fact]
    public void Bootstrap_intervals_are_reproducible_contain_the_estimate_and_shrink_with_data()
    {
        var options = new LeaderboardOptions(Resamples: 400, Seed: 3);
        var small = LeaderboardService.Rank(HandExample(5), options);
        Assert.Equal(small, LeaderboardService.Rank(HandExample(5), options));
        var large = LeaderboardService.Rank(HandExample(50), options);
        foreach (var entry in large)
        {
            Assert.InRange(entry.Rating, entry.Lower, entry.Upper);
            var before = small.Single(e => e.Model == entry.Model);
            Assert.True(entry.Upper - entry.Lower < before.Upper - before.Lower);
        }
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Leaderboard_through_the_store_counts_only_battles_between_different_models(StoreProvider provider)
    {
        using var db = new TestDb(provider);
        var project = db.Projects.Create(new ProjectSettings("board", OverlapK: 1, GoldRate: 0));
        var queue = new QueueService(db.Store, new Random(4));
        foreach (var (modelA, modelB, outcome) in HandExample(1))
            db.Comparison(project.Id, $"{modelA}-{modelB}-{Guid.NewGuid()}", $"A:{outcome}", "B", modelA, modelB);
        db.Comparison(project.Id, "same model", "A:A", "B", "m1", "m1"); // not a battle
        var annotator = db.Annotator("ann");
        while (queue.NextItem(project.Id, annotator) is { } item)
        {
            var leftIsA = item.LeftText.StartsWith("A:", StringComparison.Ordinal);
            var outcome = OutcomeCodes.Parse((leftIsA ? item.LeftText : item.RightText)[2..]);
            var (choice, shown) = ShownFrame.ToShown(outcome, 0, leftIsA);
            queue.Submit(item.AssignmentId, annotator, new JudgmentInput(choice, shown));
        }
        var board = new LeaderboardService(db.Store).Compute(project.Id, new LeaderboardOptions(Resamples: 100, PriorTies: 0));
        Assert.Equal("m1", board[0].Model);
        Assert.Equal(BradleyTerryFitElo(2 * Math.Log(2) / 3), board[0].Rating, 5);
        Assert.Equal(2 * 8, board.Sum(e => e.Battles)); // 8 battles, each counted for both models; the same-model pair is not one
    }

    private static double BradleyTerryFitElo(double theta) => Alignment.Data.Statistics.BradleyTerryFit.ToElo(theta);
}
