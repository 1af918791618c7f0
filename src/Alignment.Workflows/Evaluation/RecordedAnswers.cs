using System.Text.Json.Nodes;
using Alignment.Workflows.Reporting;
using Alignment.Workflows.Stages;

namespace Alignment.Workflows.Evaluation;

/// <summary>
/// The policy side of an earlier evaluation, read back from its report folder: the answer to each held-out prompt and its
/// length in tokens (answers.jsonl) and, when it ran the guard, the NLL of each guard reference (report.json
/// <c>guard.answers[].policy_nll</c>). A later policy trained from that model is compared with these answers on the same
/// prompts (<see cref="StartComparison"/>), so the model it started from is not evaluated again.
/// </summary>
/// <param name="Model">How the earlier evaluation named its policy (report.json <c>policy</c>), or "the start model".</param>
/// <param name="Answers">The earlier policy's answers, in prompt order.</param>
/// <param name="Tokens">Their lengths in tokens.</param>
/// <param name="GuardNll">Per guard prompt, the earlier policy's mean NLL per reference token; null when it ran no guard.</param>
public sealed record RecordedAnswers(string Model, IReadOnlyList<string> Answers, IReadOnlyList<int> Tokens, IReadOnlyList<double>? GuardNll)
{
    /// <summary>
    /// Reads <paramref name="folder"/>; its prompts must be <paramref name="prompts"/> in the same order, and its guard
    /// prompts <paramref name="guardPrompts"/> when both ran a guard. A mismatch throws naming the file and line.
    /// </summary>
    public static RecordedAnswers Read(string folder, string displayName, IReadOnlyList<string> prompts, IReadOnlyList<string> guardPrompts)
    {
        string answersFile = Path.Combine(folder, "answers.jsonl");
        string shown = $"{displayName}: answers.jsonl";
        if (!File.Exists(answersFile)) throw new WorkflowException($"{displayName}: not an evaluation report (no answers.jsonl)");
        var answers = new List<string>();
        var tokens = new List<int>();
        foreach (var (line, row) in JsonLines.Read(answersFile, shown))
        {
            int i = answers.Count;
            string prompt = Text(row["prompt"], shown, line, "prompt");
            if (i >= prompts.Count)
                throw new WorkflowException($"{shown}:{line}: more answers than this evaluation's {prompts.Count} prompts: the start model's evaluation must use the same held-out prompts");
            if (prompt != prompts[i])
                throw new WorkflowException($"{shown}:{line}: field 'prompt' is \"{prompt}\" but this evaluation's prompt {i + 1} is \"{prompts[i]}\": the start model's evaluation must use the same held-out prompts in the same order");
            answers.Add(Text(row["policy"], shown, line, "policy"));
            tokens.Add(JsonNumber.Of(row["policy_tokens"] as JsonValue) is { } t ? (int)t : throw new WorkflowException($"{shown}:{line}: field 'policy_tokens' must be a number"));
        }
        if (answers.Count != prompts.Count)
            throw new WorkflowException($"{shown}: {answers.Count} answers but this evaluation has {prompts.Count} prompts: the start model's evaluation must use the same held-out prompts");

        var report = ReportFile.Read(folder) ?? throw new WorkflowException($"{displayName}: report.json is missing or not a JSON object");
        string model = (report["policy"] as JsonValue)?.TryGetValue<string>(out var m) == true ? m : "the start model";
        IReadOnlyList<double>? guard = null;
        if (guardPrompts.Count > 0 && report["guard"]?["answers"] is JsonArray rows)
        {
            if (rows.Count != guardPrompts.Count)
                throw new WorkflowException($"{displayName}: report.json field 'guard.answers' has {rows.Count} rows but this evaluation's guard has {guardPrompts.Count}: use the same guard file");
            var nll = new List<double>();
            for (int i = 0; i < rows.Count; i++)
            {
                string where = $"{displayName}: report.json field 'guard.answers[{i}]'";
                if ((string?)(rows[i]?["prompt"] as JsonValue) != guardPrompts[i])
                    throw new WorkflowException($"{where}: prompt differs from this evaluation's guard prompt {i + 1} \"{guardPrompts[i]}\": use the same guard file");
                nll.Add(JsonNumber.Of(rows[i]?["policy_nll"] as JsonValue) ?? throw new WorkflowException($"{where}: 'policy_nll' must be a number"));
            }
            guard = nll;
        }
        return new RecordedAnswers(model, answers, tokens, guard);
    }

    private static string Text(JsonNode? node, string file, int line, string field) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new WorkflowException($"{file}:{line}: field '{field}' must be a string");
}
