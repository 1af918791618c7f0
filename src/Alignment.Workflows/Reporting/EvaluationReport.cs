using System.Text.Json.Nodes;

namespace Alignment.Workflows.Reporting;

/// <summary>One held-out prompt of an evaluation: both answers, their lengths in tokens and the verdict.</summary>
/// <param name="Prompt">The prompt as shown to the judge.</param>
/// <param name="Policy">The policy's answer.</param>
/// <param name="Baseline">The baseline's answer.</param>
/// <param name="PolicyTokens">Tokens the policy generated (an end-of-turn token included when it produced one).</param>
/// <param name="BaselineTokens">Tokens the baseline generated, counted the same way.</param>
/// <param name="Outcome">+1 the policy won, 0 tie, −1 the baseline won.</param>
public sealed record EvaluatedAnswer(string Prompt, string Policy, string Baseline, int PolicyTokens, int BaselineTokens, int Outcome)
{
    /// <summary>The verdict as written to answers.jsonl: <c>policy</c>, <c>baseline</c> or <c>tie</c>.</summary>
    public string Verdict => Outcome > 0 ? "policy" : Outcome < 0 ? "baseline" : "tie";
}

/// <summary>What an evaluation report is made from.</summary>
public sealed record EvaluationReport
{
    /// <summary>
    /// The numbers of report.json: <c>judge</c>, <c>prompts</c>, <c>win_rate</c>, <c>win_rate_low</c>, <c>win_rate_high</c>,
    /// <c>wins</c>, <c>ties</c>, <c>losses</c>, <c>mean_length</c>, <c>baseline_mean_length</c>, <c>kl</c>,
    /// <c>reward_accuracy</c>, <c>held_out_loss</c>, and optionally <c>task</c> (rule-judge hit rates:
    /// <c>{"policyScore", "baselineScore", "rules": [{"name", "score", "policyRate", "baselineRate"}]}</c>). Keys it does
    /// not know are kept in report.json as they are.
    /// </summary>
    public required JsonObject Summary { get; init; }

    /// <summary>Every held-out prompt with both answers, in prompt order.</summary>
    public required IReadOnlyList<EvaluatedAnswer> Answers { get; init; }

    /// <summary>The trainer runs upstream of the policy (and its reward model), furthest upstream first.</summary>
    public IReadOnlyList<TrainingRun> Training { get; init; } = [];

    /// <summary>What could not be shown of the training (e.g. metrics deleted from disk).</summary>
    public IReadOnlyList<string> TrainingNotes { get; init; } = [];

    /// <summary>How the policy is named in the report (e.g. "dpo.model 1a2b3c4d5e6f").</summary>
    public string Policy { get; init; } = "policy";

    /// <summary>How the baseline is named in the report.</summary>
    public string Baseline { get; init; } = "baseline";
}
