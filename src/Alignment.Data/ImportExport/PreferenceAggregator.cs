using Alignment.Data.Model;

namespace Alignment.Data.ImportExport;

/// <summary>One annotator's vote on a comparison, in the stored A/B frame.</summary>
/// <param name="Outcome">A, B, tie or both_bad.</param>
/// <param name="Strength">Signed strength, −3 = A much better … +3 = B much better.</param>
public readonly record struct Vote(Outcome Outcome, int Strength);

/// <summary>Where an aggregated label came from.</summary>
public enum LabelSource
{
    /// <summary>The majority of the annotators' active judgments.</summary>
    Majority,
    /// <summary>An admin's adjudication (overrides the annotators).</summary>
    Adjudication,
    /// <summary>The known answer of a gold item (overrides the annotators).</summary>
    Gold,
}

/// <summary>The label a comparison exports with.</summary>
/// <param name="Outcome">The winning outcome.</param>
/// <param name="Margin">0..1: the mean |strength| of the votes for the outcome divided by 3 (so 3 → 1, 2 → 2/3, 1 → 1/3, 0 → 0); 0 for tie and both_bad.</param>
/// <param name="Votes">How many active judgments voted for the outcome (0 for adjudications and gold without such votes).</param>
/// <param name="Source">Majority, adjudication or gold.</param>
public sealed record AggregatedLabel(Outcome Outcome, double Margin, int Votes, LabelSource Source);

/// <summary>
/// Turns the judgments on one comparison into one label. An active adjudication wins; then a gold item's
/// known answer; otherwise the plurality outcome, which must be strictly ahead of every other outcome
/// (a split vote has no label). The margin is the reward-model margin m: mean |strength| / 3 over the votes that agree
/// with the outcome, so |strength| 3, 2, 1, 0 give 1, 2/3, 1/3, 0.
/// </summary>
public static class PreferenceAggregator
{
    /// <summary>The largest |strength| on the scale.</summary>
    public const int StrengthScale = 3;

    /// <summary>The label, or null when there are no votes or the vote is split.</summary>
    public static AggregatedLabel? Aggregate(IReadOnlyList<Vote> votes, Vote? adjudication = null, Vote? gold = null)
    {
        if (adjudication is { } settled)
            return Fixed(settled, votes, LabelSource.Adjudication);
        if (gold is { } known)
            return Fixed(known, votes, LabelSource.Gold);
        if (votes.Count == 0)
            return null;
        var ranked = votes.GroupBy(v => v.Outcome).Select(g => (Outcome: g.Key, Count: g.Count())).OrderByDescending(g => g.Count).ToList();
        if (ranked.Count > 1 && ranked[0].Count == ranked[1].Count)
            return null;
        var winner = ranked[0].Outcome;
        var agreeing = votes.Where(v => v.Outcome == winner).ToList();
        return new AggregatedLabel(winner, Margin(winner, agreeing.Select(v => v.Strength)), agreeing.Count, LabelSource.Majority);
    }

    /// <summary>mean |strength| / 3, or 0 for tie and both_bad.</summary>
    public static double Margin(Outcome outcome, IEnumerable<int> strengths)
    {
        if (outcome is Outcome.Tie or Outcome.BothBad)
            return 0;
        var list = strengths.ToList();
        return list.Count == 0 ? 0 : list.Average(s => Math.Abs(s)) / StrengthScale;
    }

    private static AggregatedLabel Fixed(Vote vote, IReadOnlyList<Vote> votes, LabelSource source) =>
        new(vote.Outcome, Margin(vote.Outcome, [vote.Strength]), votes.Count(v => v.Outcome == vote.Outcome), source);
}
