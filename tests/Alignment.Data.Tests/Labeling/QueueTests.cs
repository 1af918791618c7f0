using Alignment.Data.Store;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Dapper;

namespace Alignment.Data.Tests.Labeling;

public class QueueTests
{
    private static (TestDb Db, Project Project, QueueService Queue) Setup(StoreProvider provider, int k = 2, int comparisons = 3, double goldRate = 0, int leaseMinutes = 10)
    {
        var db = new TestDb(provider);
        var project = db.Projects.Create(new ProjectSettings("p", OverlapK: k, GoldRate: goldRate, LeaseMinutes: leaseMinutes));
        for (var i = 0; i < comparisons; i++)
            db.Comparison(project.Id, $"prompt {i}", $"answer A{i}", $"answer B{i}", "model-a", "model-b");
        return (db, project, new QueueService(db.Store, new Random(7)));
    }

    private static (string Outcome, long Strength, long Active) StoredJudgment(TestDb db, long judgmentId) =>
        db.Store.Read(c => c.QuerySingle<(string, long, long)>("SELECT outcome, strength, is_active FROM judgments WHERE id = @judgmentId", new { judgmentId }));

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Next_item_shows_the_prompt_and_both_answers_without_model_names(StoreProvider provider)
    {
        var (db, project, queue) = Setup(provider);
        using var _ = db;
        var annotator = db.Annotator("ann");
        var item = queue.NextItem(project.Id, annotator)!;
        var index = item.Prompt["prompt ".Length..];
        Assert.Equal(new[] { $"answer A{index}", $"answer B{index}" }.Order(), new[] { item.LeftText, item.RightText }.Order());
        Assert.Equal(db.Clock.GetUtcNow().AddMinutes(10), item.LeaseExpiresAt);
        Assert.DoesNotContain(typeof(QueueItem).GetProperties(), p => p.Name.Contains("Model", StringComparison.OrdinalIgnoreCase) || p.Name.Contains("Gold", StringComparison.OrdinalIgnoreCase));
        // Asking again while the lease is live returns the same item.
        Assert.Equal(item, queue.NextItem(project.Id, annotator));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Left_right_is_converted_to_a_b_with_the_recorded_order(StoreProvider provider)
    {
        var (db, project, queue) = Setup(provider, k: 1, comparisons: 40);
        using var _ = db;
        var annotator = db.Annotator("ann");
        var seen = new HashSet<bool>();
        for (var i = 0; i < 40; i++)
        {
            var item = queue.NextItem(project.Id, annotator)!;
            var leftIsA = item.LeftText.StartsWith("answer A", StringComparison.Ordinal);
            seen.Add(leftIsA);
            Assert.Equal(leftIsA ? 1L : 0L, db.Store.Read(c => c.ExecuteScalar<long>("SELECT left_is_a FROM assignments WHERE id = @AssignmentId", new { item.AssignmentId })));
            var result = queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Left, -2));
            var stored = StoredJudgment(db, result.JudgmentId);
            // The left answer won by 2: A by -2 when left is A, B by +2 when left is B.
            Assert.Equal(leftIsA ? ("A", -2L, 1L) : ("B", 2L, 1L), stored);
        }
        Assert.Equal(2, seen.Count); // both orders occur
    }

    [Theory]
    [InlineData(ShownChoice.Left, -3, true, Outcome.A, -3)]
    [InlineData(ShownChoice.Left, -1, false, Outcome.B, 1)]
    [InlineData(ShownChoice.Right, 2, true, Outcome.B, 2)]
    [InlineData(ShownChoice.Right, 0, false, Outcome.A, 0)]
    [InlineData(ShownChoice.Tie, 0, false, Outcome.Tie, 0)]
    [InlineData(ShownChoice.BothBad, 0, true, Outcome.BothBad, 0)]
    public void Shown_frame_round_trips(ShownChoice choice, int shown, bool leftIsA, Outcome outcome, int strength)
    {
        Assert.Equal((outcome, strength), ShownFrame.ToUnderlying(choice, shown, leftIsA));
        Assert.Equal((choice, shown), ShownFrame.ToShown(outcome, strength, leftIsA));
    }

    [Theory]
    [InlineData(ShownChoice.Left, 1)]
    [InlineData(ShownChoice.Right, -2)]
    [InlineData(ShownChoice.Tie, 1)]
    [InlineData(ShownChoice.BothBad, -1)]
    [InlineData(ShownChoice.Right, 4)]
    public void Inconsistent_or_out_of_range_strength_is_rejected(ShownChoice choice, int strength)
    {
        var (db, project, queue) = Setup(StoreProvider.Sqlite);
        using var _ = db;
        var annotator = db.Annotator("ann");
        var item = queue.NextItem(project.Id, annotator)!;
        Assert.Throws<InvalidRequestException>(() => queue.Submit(item.AssignmentId, annotator, new JudgmentInput(choice, strength)));
        Assert.Equal(0L, db.Store.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM judgments")));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Aspects_rationale_and_time_are_stored(StoreProvider provider)
    {
        var (db, project, queue) = Setup(provider);
        using var _ = db;
        var annotator = db.Annotator("ann");
        var item = queue.NextItem(project.Id, annotator)!;
        var id = queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Tie, 0, "both fine", new AspectRatings(5, 4, 3), 1234)).JudgmentId;
        var row = db.Store.Read(c => c.QuerySingle<(string, long, long, long, long)>("SELECT rationale, helpful, harmless, honest, time_ms FROM judgments WHERE id = @id", new { id }));
        Assert.Equal(("both fine", 5L, 4L, 3L, 1234L), row);
        var bad = queue.NextItem(project.Id, annotator)!;
        Assert.Throws<InvalidRequestException>(() => queue.Submit(bad.AssignmentId, annotator, new JudgmentInput(ShownChoice.Tie, 0, null, new AspectRatings(Helpful: 6))));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Overlap_k_gives_each_comparison_to_k_different_annotators_and_never_twice_to_one(StoreProvider provider)
    {
        var (db, project, queue) = Setup(provider, k: 2, comparisons: 3);
        using var _ = db;
        var annotators = new[] { db.Annotator("a1"), db.Annotator("a2"), db.Annotator("a3") };
        var judgedBy = new Dictionary<long, List<long>>();
        bool progress;
        do
        {
            progress = false;
            foreach (var annotator in annotators)
            {
                var item = queue.NextItem(project.Id, annotator);
                if (item is null) continue;
                queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Right, 1));
                (judgedBy.TryGetValue(item.ComparisonId, out var list) ? list : judgedBy[item.ComparisonId] = []).Add(annotator);
                progress = true;
            }
        } while (progress);
        Assert.Equal(3, judgedBy.Count);
        Assert.All(judgedBy.Values, list => { Assert.Equal(2, list.Count); Assert.Equal(2, list.Distinct().Count()); });
        var progressReport = queue.Progress(project.Id, annotators[0]);
        Assert.Equal((3L, 3L, 6L, 6L), (progressReport.Comparisons, progressReport.CompletedComparisons, progressReport.ActiveJudgments, progressReport.RequiredJudgments));
        Assert.Equal(1.0, progressReport.Fraction);
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Comparisons_closest_to_completion_are_served_first(StoreProvider provider)
    {
        var (db, project, queue) = Setup(provider, k: 3, comparisons: 3);
        using var _ = db;
        var first = db.Annotator("first");
        var item = queue.NextItem(project.Id, first)!; // comparison 1 (all equal: lowest id)
        queue.Submit(item.AssignmentId, first, new JudgmentInput(ShownChoice.Tie));
        var second = db.Annotator("second");
        var next = queue.NextItem(project.Id, second)!;
        Assert.Equal(item.ComparisonId, next.ComparisonId);
        queue.Submit(next.AssignmentId, second, new JudgmentInput(ShownChoice.Tie));
        // first has done comparison 1, so gets a fresh one; a third annotator finishes comparison 1.
        Assert.NotEqual(item.ComparisonId, queue.NextItem(project.Id, first)!.ComparisonId);
        Assert.Equal(item.ComparisonId, queue.NextItem(project.Id, db.Annotator("third"))!.ComparisonId);
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Expired_lease_returns_the_item_to_the_pool_and_a_late_submit_is_refused(StoreProvider provider)
    {
        var (db, project, queue) = Setup(provider, k: 1, comparisons: 1, leaseMinutes: 5);
        using var _ = db;
        var slow = db.Annotator("slow");
        var fast = db.Annotator("fast");
        var item = queue.NextItem(project.Id, slow)!;
        Assert.Null(queue.NextItem(project.Id, fast)); // the only slot is leased

        db.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Throws<LeaseExpiredException>(() => queue.Submit(item.AssignmentId, slow, new JudgmentInput(ShownChoice.Left, -1)));
        var taken = queue.NextItem(project.Id, fast)!;
        Assert.Equal(item.ComparisonId, taken.ComparisonId);
        queue.Submit(taken.AssignmentId, fast, new JudgmentInput(ShownChoice.Left, -1));
        Assert.Throws<LeaseExpiredException>(() => queue.Submit(item.AssignmentId, slow, new JudgmentInput(ShownChoice.Left, -1)));
        Assert.Null(queue.NextItem(project.Id, slow));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Someone_elses_assignment_and_unknown_ids_are_typed_errors(StoreProvider provider)
    {
        var (db, project, queue) = Setup(provider);
        using var _ = db;
        var owner = db.Annotator("owner");
        var other = db.Annotator("other");
        var item = queue.NextItem(project.Id, owner)!;
        var notMine = Assert.Throws<NotAssignedException>(() => queue.Submit(item.AssignmentId, other, new JudgmentInput(ShownChoice.Tie)));
        Assert.Equal(LabelingErrorKind.Forbidden, notMine.Kind);
        Assert.Throws<NotAssignedException>(() => queue.Skip(item.AssignmentId, other));
        Assert.Equal(LabelingErrorKind.NotFound, Assert.Throws<NotFoundException>(() => queue.Submit(999, owner, new JudgmentInput(ShownChoice.Tie))).Kind);
        Assert.Throws<NotFoundException>(() => queue.NextItem(999, owner));
        Assert.Throws<NotFoundException>(() => queue.NextItem(project.Id, 999));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Double_submission_with_the_same_key_is_idempotent_and_without_it_is_a_conflict(StoreProvider provider)
    {
        var (db, project, queue) = Setup(provider);
        using var _ = db;
        var annotator = db.Annotator("ann");
        var item = queue.NextItem(project.Id, annotator)!;
        var input = new JudgmentInput(ShownChoice.Right, 3);
        var first = queue.Submit(item.AssignmentId, annotator, input, "key-1");
        var again = queue.Submit(item.AssignmentId, annotator, input, "key-1");
        Assert.False(first.Replayed);
        Assert.True(again.Replayed);
        Assert.Equal(first.JudgmentId, again.JudgmentId);
        var conflict = Assert.Throws<AlreadySubmittedException>(() => queue.Submit(item.AssignmentId, annotator, input));
        Assert.Equal(first.JudgmentId, conflict.JudgmentId);
        var next = queue.NextItem(project.Id, annotator)!;
        Assert.Throws<IdempotencyConflictException>(() => queue.Submit(next.AssignmentId, annotator, input, "key-1"));
        Assert.Equal(1L, db.Store.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM judgments")));

        // After an undo the old key no longer stands for a stored judgment.
        queue.Skip(next.AssignmentId, annotator);
        var back = queue.UndoLast(project.Id, annotator);
        Assert.Throws<IdempotencyConflictException>(() => queue.Submit(back.AssignmentId, annotator, input, "key-1"));
        Assert.False(queue.Submit(back.AssignmentId, annotator, input, "key-2").Replayed);
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void A_disabled_annotator_gets_no_items_and_cannot_submit(StoreProvider provider)
    {
        var (db, project, queue) = Setup(provider);
        using var _ = db;
        var annotator = db.Annotator("ann");
        var item = queue.NextItem(project.Id, annotator)!;
        db.Annotators.SetActive(annotator, false);
        Assert.Throws<ForbiddenException>(() => queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Tie)));
        Assert.Throws<ForbiddenException>(() => queue.NextItem(project.Id, annotator));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Skip_frees_the_slot_and_never_shows_the_item_to_that_annotator_again(StoreProvider provider)
    {
        var (db, project, queue) = Setup(provider, k: 1, comparisons: 2);
        using var _ = db;
        var skipper = db.Annotator("skipper");
        var item = queue.NextItem(project.Id, skipper)!;
        queue.Skip(item.AssignmentId, skipper);
        var next = queue.NextItem(project.Id, skipper)!;
        Assert.NotEqual(item.ComparisonId, next.ComparisonId);
        queue.Submit(next.AssignmentId, skipper, new JudgmentInput(ShownChoice.Tie));
        Assert.Null(queue.NextItem(project.Id, skipper));
        Assert.Equal(item.ComparisonId, queue.NextItem(project.Id, db.Annotator("other"))!.ComparisonId);
        Assert.Throws<LeaseExpiredException>(() => queue.Submit(item.AssignmentId, skipper, new JudgmentInput(ShownChoice.Tie)));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Undo_supersedes_the_last_judgment_and_gives_the_item_back_in_the_same_order(StoreProvider provider)
    {
        var (db, project, queue) = Setup(provider, k: 1, comparisons: 3);
        using var _ = db;
        var annotator = db.Annotator("ann");
        Assert.Throws<NothingToUndoException>(() => queue.UndoLast(project.Id, annotator));
        var first = queue.NextItem(project.Id, annotator)!;
        var judged = queue.Submit(first.AssignmentId, annotator, new JudgmentInput(ShownChoice.Left, -1)).JudgmentId;
        var held = queue.NextItem(project.Id, annotator)!; // leased, then undo releases it

        var back = queue.UndoLast(annotator); // the project is found from the last judgment
        Assert.Equal(first.AssignmentId, back.AssignmentId);
        Assert.Equal((first.LeftText, first.RightText), (back.LeftText, back.RightText));
        Assert.Equal(0L, StoredJudgment(db, judged).Active);
        Assert.Equal(back, queue.NextItem(project.Id, annotator));
        Assert.Equal(1L, db.Store.Read(c => c.ExecuteScalar<long>("SELECT remaining FROM comparisons WHERE id = @ComparisonId", new { held.ComparisonId })));

        var redo = queue.Submit(back.AssignmentId, annotator, new JudgmentInput(ShownChoice.Right, 2)).JudgmentId;
        var rows = db.Store.Read(c => c.Query<(long Id, long Active, long? SupersededBy)>(
            "SELECT id, is_active, superseded_by FROM judgments WHERE assignment_id = @AssignmentId ORDER BY id", new { first.AssignmentId }).ToList());
        Assert.Equal([(judged, 0L, (long?)redo), (redo, 1L, null)], rows);
        Assert.Equal(1L, queue.Progress(project.Id, annotator).MyJudgments);
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Revise_keeps_the_old_row_and_links_it_to_the_new_one(StoreProvider provider)
    {
        var (db, project, queue) = Setup(provider);
        using var _ = db;
        var annotator = db.Annotator("ann");
        var item = queue.NextItem(project.Id, annotator)!;
        var old = queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Tie)).JudgmentId;
        Assert.Throws<ForbiddenException>(() => queue.Revise(old, db.Annotator("intruder"), new JudgmentInput(ShownChoice.BothBad)));
        var revised = queue.Revise(old, annotator, new JudgmentInput(ShownChoice.BothBad));
        Assert.Equal(("both_bad", 0L, 1L), StoredJudgment(db, revised));
        Assert.Equal(0L, StoredJudgment(db, old).Active);
        Assert.Equal(revised, db.Store.Read(c => c.ExecuteScalar<long>("SELECT superseded_by FROM judgments WHERE id = @old", new { old })));
        Assert.Throws<InvalidRequestException>(() => queue.Revise(old, annotator, new JudgmentInput(ShownChoice.Tie)));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Gold_items_are_mixed_in_at_the_rate_and_shown_to_everyone_once(StoreProvider provider)
    {
        using var db = new TestDb(provider);
        var project = db.Projects.Create(new ProjectSettings("g", OverlapK: 2, GoldRate: 0.25));
        for (var i = 0; i < 12; i++)
            db.Comparison(project.Id, $"regular {i}", "a", "b");
        for (var i = 0; i < 4; i++)
            db.Comparison(project.Id, $"gold {i}", "good", "bad", gold: Outcome.A, goldStrength: -2);
        var queue = new QueueService(db.Store, new Random(1));
        foreach (var name in new[] { "x", "y" })
        {
            var annotator = db.Annotator(name);
            var prompts = new List<string>();
            while (queue.NextItem(project.Id, annotator) is { } item)
            {
                prompts.Add(item.Prompt);
                queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Tie));
            }
            var gold = prompts.Count(p => p.StartsWith("gold", StringComparison.Ordinal));
            Assert.Equal(4, gold);
            // Over the first 16 items, one in four is gold, spread out rather than bunched at the end.
            Assert.Equal(1, prompts.Take(4).Count(p => p.StartsWith("gold", StringComparison.Ordinal)));
        }
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void At_gold_rate_zero_no_gold_item_is_served_even_after_the_regular_ones_run_out(StoreProvider provider)
    {
        using var db = new TestDb(provider);
        var project = db.Projects.Create(new ProjectSettings("g0", OverlapK: 1, GoldRate: 0));
        db.Comparison(project.Id, "regular", "a", "b");
        db.Comparison(project.Id, "gold", "good", "bad", gold: Outcome.A, goldStrength: -2);
        var queue = new QueueService(db.Store, new Random(1));
        var annotator = db.Annotator("x");
        var item = queue.NextItem(project.Id, annotator)!;
        Assert.Equal("regular", item.Prompt);
        queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Tie));
        Assert.Null(queue.NextItem(project.Id, annotator));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void A_skipped_item_is_listed_for_the_admin_and_reopening_offers_it_to_the_skipper_again(StoreProvider provider)
    {
        // Overlap 2, two annotators, one skip: without a reopen the comparison stays at 1 of 2 and both are "done".
        var (db, project, queue) = Setup(provider, k: 2, comparisons: 3);
        using var _ = db;
        var skipper = db.Annotator("skipper");
        var other = db.Annotator("other");
        long skippedComparison = 0;
        while (queue.NextItem(project.Id, skipper) is { } item)
        {
            if (skippedComparison == 0)
            {
                skippedComparison = item.ComparisonId;
                queue.Skip(item.AssignmentId, skipper);
            }
            else
                queue.Submit(item.AssignmentId, skipper, new JudgmentInput(ShownChoice.Left, -1));
        }
        while (queue.NextItem(project.Id, other) is { } item)
            queue.Submit(item.AssignmentId, other, new JudgmentInput(ShownChoice.Right, 1));
        Assert.Equal((3L, 2L, 5L), (queue.Progress(project.Id, other).Comparisons, queue.Progress(project.Id, other).CompletedComparisons, queue.Progress(project.Id, other).ActiveJudgments));

        var skipped = Assert.Single(queue.Skipped(project.Id));
        var prompt = db.Store.Read(c => c.ExecuteScalar<string>("SELECT p.text FROM comparisons c JOIN prompts p ON p.id = c.prompt_id WHERE c.id = @skippedComparison", new { skippedComparison }))!;
        Assert.Equal(new SkippedItem(skippedComparison, prompt, 1, 1, 2), skipped);

        Assert.Equal(1, queue.Reopen(project.Id, skippedComparison));
        Assert.Empty(queue.Skipped(project.Id));
        var again = queue.NextItem(project.Id, skipper)!;
        Assert.Equal(skippedComparison, again.ComparisonId);
        queue.Submit(again.AssignmentId, skipper, new JudgmentInput(ShownChoice.Tie));
        Assert.Equal(1.0, queue.Progress(project.Id, skipper).Fraction);
        Assert.Throws<NotFoundException>(() => queue.Reopen(project.Id, skippedComparison));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Items_come_in_an_order_shuffled_per_annotator_not_in_file_order(StoreProvider provider)
    {
        // The same 12 pairs (4 prompts × 3 pairs, in file order) in two projects with overlap 1: each annotator labels
        // one project alone, so the order they see is the queue's order for them.
        using var db = new TestDb(provider);
        var projects = new[] { db.Projects.Create(new ProjectSettings("one", OverlapK: 1)), db.Projects.Create(new ProjectSettings("two", OverlapK: 1)) };
        var fileOrder = new List<string>();
        for (var p = 0; p < 4; p++)
            for (var pair = 0; pair < 3; pair++)
                fileOrder.Add($"prompt {p} pair {pair}");
        foreach (var project in projects)
            foreach (var prompt in fileOrder)
                db.Comparison(project.Id, prompt, "a", "b");
        var queue = new QueueService(db.Store, new Random(3));
        var orders = new List<List<string>>();
        foreach (var (project, name) in projects.Zip(new[] { "first", "second" }))
        {
            var annotator = db.Annotator(name);
            var order = new List<string>();
            while (queue.NextItem(project.Id, annotator) is { } item)
            {
                Assert.Equal(item, queue.NextItem(project.Id, annotator)); // a reload keeps the item
                order.Add(item.Prompt);
                queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Tie));
            }
            Assert.Equal(fileOrder.Order(), order.Order());
            Assert.NotEqual(fileOrder, order);
            orders.Add(order);
        }
        Assert.NotEqual(orders[0], orders[1]);
    }
}
