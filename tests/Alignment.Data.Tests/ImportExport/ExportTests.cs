using Alignment.Data.Store;
using System.Text.Json;
using Alignment.Data.ImportExport;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Review;
using CsvHelper;

namespace Alignment.Data.Tests.ImportExport;

public class AggregatorTests
{
    [Fact]
    public void Majority_wins_and_margin_is_mean_abs_strength_over_three()
    {
        var label = PreferenceAggregator.Aggregate([new(Outcome.A, -3), new(Outcome.A, -1), new(Outcome.B, 2)])!;
        Assert.Equal((Outcome.A, 2, LabelSource.Majority), (label.Outcome, label.Votes, label.Source));
        Assert.Equal(2.0 / 3.0, label.Margin, 12);
        // mean |strength| / 3: |strength| 3, 2, 1, 0 -> 1, 2/3, 1/3, 0.
        Assert.Equal([1.0, 2.0 / 3, 1.0 / 3, 0.0], new[] { 3, 2, 1, 0 }.Select(s => PreferenceAggregator.Margin(Outcome.B, [s])));
    }

    [Fact]
    public void Split_votes_have_no_label_and_overrides_win()
    {
        Assert.Null(PreferenceAggregator.Aggregate([new(Outcome.A, -1), new(Outcome.B, 1)]));
        Assert.Null(PreferenceAggregator.Aggregate([]));
        var adjudicated = PreferenceAggregator.Aggregate([new(Outcome.A, -1), new(Outcome.B, 1)], adjudication: new Vote(Outcome.B, 3))!;
        Assert.Equal((Outcome.B, 1.0, LabelSource.Adjudication), (adjudicated.Outcome, adjudicated.Margin, adjudicated.Source));
        var gold = PreferenceAggregator.Aggregate([new(Outcome.B, 3)], gold: new Vote(Outcome.A, -2))!;
        Assert.Equal((Outcome.A, LabelSource.Gold), (gold.Outcome, gold.Source));
        Assert.Equal(0.0, PreferenceAggregator.Aggregate([new(Outcome.Tie, 0), new(Outcome.Tie, 0)])!.Margin);
    }
}

public class ExportTests
{
    /// <summary>Four comparisons with k=3 judged by three annotators so that each ends differently.</summary>
    private static (TestDb Db, Project Project, long[] Comparisons, long Admin) Judged(StoreProvider provider)
    {
        var db = new TestDb(provider);
        var project = db.Projects.Create(new ProjectSettings("export", OverlapK: 3, GoldRate: 0));
        var ids = new[]
        {
            db.Comparison(project.Id, "p0", "a0", "b0"), // B wins 2:1
            db.Comparison(project.Id, "p1", "a1", "b1"), // tie
            db.Comparison(project.Id, "p2", "a2", "b2"), // both bad
            db.Comparison(project.Id, "p3", "a3", "b3"), // split three ways, then adjudicated
        };
        // What each annotator thinks, per comparison, in the A/B frame.
        var plan = new Dictionary<long, (Outcome, int)[]>
        {
            [ids[0]] = [(Outcome.B, 3), (Outcome.B, 1), (Outcome.A, -2)],
            [ids[1]] = [(Outcome.Tie, 0), (Outcome.Tie, 0), (Outcome.A, -1)],
            [ids[2]] = [(Outcome.BothBad, 0), (Outcome.BothBad, 0), (Outcome.BothBad, 0)],
            [ids[3]] = [(Outcome.A, -1), (Outcome.B, 1), (Outcome.Tie, 0)],
        };
        var queue = new QueueService(db.Store, new Random(3));
        for (var n = 0; n < 3; n++)
        {
            var annotator = db.Annotator($"ann{n}");
            for (var i = 0; i < 4; i++)
            {
                var item = queue.NextItem(project.Id, annotator)!;
                var (outcome, strength) = plan[item.ComparisonId][n];
                var leftIsA = item.LeftText.StartsWith('a');
                var (choice, shown) = ShownFrame.ToShown(outcome, strength, leftIsA);
                queue.Submit(item.AssignmentId, annotator, new JudgmentInput(choice, shown, n == 0 ? "=SUM(A1)" : null, null, 1000 + n));
            }
        }
        // Added after the judging: the queue serves each annotator's items in a shuffled order, so a fifth comparison
        // present from the start could take the place of a planned one.
        ids = [.. ids, db.Comparison(project.Id, "p4", "a4", "b4")]; // never judged
        var admin = db.Annotator("boss", AnnotatorRole.Admin);
        return (db, project, ids, admin);
    }

    private static List<JsonElement> ReadJsonLines(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Preferences_are_majority_aggregated_with_margin_and_adjudications_override(StoreProvider provider)
    {
        var (db, project, ids, admin) = Judged(provider);
        using var _ = db;
        var review = new AdjudicationService(db.Store);
        Assert.Equal([ids[0], ids[1], ids[3]], review.ListDisagreements(project.Id).Select(d => d.ComparisonId));
        Assert.Throws<ForbiddenException>(() => review.Adjudicate(ids[3], db.Annotators.Find("ann0")!.Id, Outcome.A, -3));
        review.Adjudicate(ids[3], admin, Outcome.B, 1, "first look");
        review.Adjudicate(ids[3], admin, Outcome.A, -3, "on reflection A");
        Assert.Equal([ids[0], ids[1]], review.ListDisagreements(project.Id).Select(d => d.ComparisonId));

        var path = db.PathOf("out/prefs.jsonl");
        var kto = db.PathOf("out/kto.jsonl");
        var result = new PreferenceExporter(db.Store).ExportFile(project.Id, path, new PreferenceExportOptions(kto));
        Assert.Equal(new PreferenceExportResult(Pairs: 2, KtoRows: 8, Ties: 1, BothBad: 1, Split: 0, Unjudged: 1, Adjudicated: 1, Gold: 0), result);

        var rows = ReadJsonLines(path);
        Assert.Equal(2, rows.Count);
        Assert.Equal(("p0", "b0", "a0"), (rows[0].GetProperty("prompt").GetString(), rows[0].GetProperty("chosen").GetString(), rows[0].GetProperty("rejected").GetString()));
        Assert.Equal(2.0 / 3.0, rows[0].GetProperty("margin").GetDouble(), 6); // mean(|3|, |1|) / 3
        Assert.Equal(("p3", "a3", "b3", 1.0), (rows[1].GetProperty("prompt").GetString(), rows[1].GetProperty("chosen").GetString(), rows[1].GetProperty("rejected").GetString(), rows[1].GetProperty("margin").GetDouble()));
        Assert.Equal(["prompt", "chosen", "rejected", "margin"], rows[0].EnumerateObject().Select(p => p.Name));

        var ktoRows = ReadJsonLines(kto).Select(r => (r.GetProperty("prompt").GetString(), r.GetProperty("completion").GetString(), r.GetProperty("label").GetBoolean())).ToList();
        Assert.Equal([("p0", "b0", true), ("p0", "a0", false), ("p1", "a1", true), ("p1", "b1", true), ("p2", "a2", false), ("p2", "b2", false), ("p3", "a3", true), ("p3", "b3", false)], ktoRows);
        Assert.Empty(Directory.GetFiles(db.PathOf("out"), "*.tmp"));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Judgment_csv_lists_every_judgment_with_superseded_flag(StoreProvider provider)
    {
        var (db, project, ids, _) = Judged(provider);
        using var _d = db;
        var queue = new QueueService(db.Store);
        var ann2 = db.Annotators.Find("ann2")!.Id;
        var undone = queue.UndoLast(project.Id, ann2);
        queue.Submit(undone.AssignmentId, ann2, new JudgmentInput(ShownChoice.BothBad, 0, "changed my mind", new AspectRatings(1, 2, 3), 5));

        var path = db.PathOf("judgments.csv");
        Assert.Equal(13, new JudgmentCsvExporter(db.Store).ExportFile(project.Id, path));
        using var csv = CsvReader.FromFile(path, CsvReaderOptions.Default with { Separator = ',' });
        Assert.Equal(JudgmentCsvExporter.Columns, csv.Headers.ToArray());
        var records = new List<Dictionary<string, string?>>();
        while (csv.Read())
            records.Add(csv.Current.ToDictionary().ToDictionary(kv => kv.Key, kv => kv.Value?.ToString()));
        Assert.Equal(13, records.Count);
        Assert.Single(records, r => r["superseded"] == "true");
        var last = records[^1];
        Assert.Equal(("ann2", "both_bad", "0", "changed my mind", "1", "2", "3", "5", "false"),
            (last["annotator"], last["outcome"], last["strength"], last["rationale"], last["helpful"], last["harmless"], last["honest"], last["time_ms"], last["superseded"]));
        var superseded = records.Single(r => r["superseded"] == "true");
        Assert.Equal(last["judgment_id"], superseded["superseded_by"]);
        // A rationale that a spreadsheet would evaluate is escaped.
        Assert.Contains(records, r => r["rationale"] == "'=SUM(A1)");
        Assert.All(records, r => Assert.Contains(r["shown_left"], new[] { "A", "B" }));
    }
}
