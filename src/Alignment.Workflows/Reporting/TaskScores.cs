using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alignment.Workflows.Reporting;

/// <summary>One rule of a rule judge: its score (weight) and how often the policy's and the baseline's answers hit it.</summary>
public sealed record RuleRate(string Name, double Score, double PolicyRate, double BaselineRate);

/// <summary>
/// The optional <c>task</c> object of report.json (rule-judge hit rates):
/// <c>{"policyScore": x, "baselineScore": y, "rules": [{"name", "score", "policyRate", "baselineRate"}]}</c>.
/// Missing or non-numeric fields read as NaN (shown as "—"); a rule without a name is called "rule N".
/// </summary>
public sealed record TaskScores(double PolicyScore, double BaselineScore, IReadOnlyList<RuleRate> Rules)
{
    /// <summary>The task scores of <paramref name="node"/>, or null when it is absent or not an object.</summary>
    public static TaskScores? From(JsonNode? node)
    {
        if (node is not JsonObject task) return null;
        var rules = new List<RuleRate>();
        if (task["rules"] is JsonArray array)
            foreach (var (rule, i) in array.Select((r, i) => (r as JsonObject, i)))
            {
                if (rule is null) continue;
                string name = rule["name"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : $"rule {i + 1}";
                rules.Add(new RuleRate(name, Number(rule["score"]), Number(rule["policyRate"]), Number(rule["baselineRate"])));
            }
        return new TaskScores(Number(task["policyScore"]), Number(task["baselineScore"]), rules);
    }

    private static double Number(JsonNode? node) => JsonNumber.OrNaN(node);
}
