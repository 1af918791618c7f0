namespace Alignment.Workflows.Evaluation;

/// <summary>
/// The changes measured on two models' answers beyond the judge: the text metrics against the reference answers (when
/// given, <see cref="TextMetricChanges"/>), the guard's NLL per reference token (when both ran it; a worsening beyond
/// <c>guardTolerance</c> with its whole interval is a regression) and the answer length (shown only), in that order.
/// </summary>
public static class AnswerChanges
{
    public const string GuardName = "guard NLL (nats per reference token)";

    public static IReadOnlyList<MetricChange> Of(IReadOnlyList<string> policy, IReadOnlyList<string> other, IReadOnlyList<string>? references,
                                                 IReadOnlyList<double> policyGuard, IReadOnlyList<double>? otherGuard, double guardTolerance,
                                                 IReadOnlyList<int> policyTokens, IReadOnlyList<int> otherTokens)
    {
        var changes = new List<MetricChange>();
        if (references is not null) changes.AddRange(TextMetricChanges.Of(policy, other, references));
        if (policyGuard.Count > 0 && otherGuard is not null)
            changes.Add(MetricChange.Paired(GuardName, "guard", Better.Lower, "value", policyGuard, otherGuard, guardTolerance));
        changes.Add(MetricChange.Paired("answer length (tokens)", "metric", Better.Neither, "value",
            policyTokens.Select(t => (double)t).ToList(), otherTokens.Select(t => (double)t).ToList()));
        return changes;
    }
}
