using System.Text.Json.Nodes;
using Alignment.Data.Statistics;

namespace Alignment.Workflows.Evaluation;

/// <summary>Which way a rule or metric is better.</summary>
public enum Better
{
    /// <summary>More is better (a rule with a positive score, a gate, ROUGE, BLEU, a reward).</summary>
    Higher,
    /// <summary>Less is better (a penalizing rule, a loss, an NLL).</summary>
    Lower,
    /// <summary>Neither: shown, never called a regression (answer length, a rule scoring 0).</summary>
    Neither,
}

/// <summary>What the interval says about a change.</summary>
public enum ChangeVerdict
{
    /// <summary>The whole 95% interval lies on the worse side, beyond the tolerance.</summary>
    Regression,
    /// <summary>The whole 95% interval lies on the better side, beyond the tolerance.</summary>
    Improvement,
    /// <summary>The interval reaches both sides (or the tolerance), or there is no interval.</summary>
    NoClearChange,
}

/// <summary>
/// One rule or metric of an evaluation, policy against baseline over the same prompts, with the 95% interval of the change.
/// A regression is a change whose whole interval lies on the worse side of −<see cref="Tolerance"/> (on the worse side of
/// zero when the tolerance is 0): a measured drop whose interval still reaches the other side is reported with its
/// numbers, not as a regression, and never as an improvement.
/// </summary>
public sealed record MetricChange
{
    /// <summary>Shown name, e.g. "right sum" or "ROUGE-L F1".</summary>
    public required string Name { get; init; }
    /// <summary>rule (a rule of the judge), metric (text metrics, reward, lengths, score) or guard (general ability).</summary>
    public required string Kind { get; init; }
    public required Better Better { get; init; }
    /// <summary>rate (shown as a percentage, changes in points) or value.</summary>
    public required string Unit { get; init; }
    public required int Count { get; init; }
    public required double Policy { get; init; }
    public required double Baseline { get; init; }
    /// <summary>Policy − baseline.</summary>
    public required double Delta { get; init; }
    public required double Low { get; init; }
    public required double High { get; init; }
    /// <summary>How much worse counts before a change is a regression (in the metric's own units; 0 for rules).</summary>
    public double Tolerance { get; init; }
    /// <summary>How the interval was made: "paired t" or "paired bootstrap".</summary>
    public required string Method { get; init; }

    public ChangeVerdict Verdict
    {
        get
        {
            if (Better == Better.Neither || !double.IsFinite(Low) || !double.IsFinite(High)) return ChangeVerdict.NoClearChange;
            // Orient so that positive is better.
            double low = Better == Better.Higher ? Low : -High, high = Better == Better.Higher ? High : -Low;
            if (high < -Tolerance) return ChangeVerdict.Regression;
            if (low > Tolerance) return ChangeVerdict.Improvement;
            return ChangeVerdict.NoClearChange;
        }
    }

    /// <summary>A change from per-prompt values (paired t interval). For a rate (0/1 values) the interval is clipped to
    /// the changes a rate can show, −baseline to 1 − baseline: the t interval of a nearly unanimous change would otherwise
    /// run past 100%.</summary>
    public static MetricChange Paired(string name, string kind, Better better, string unit, IReadOnlyList<double> policy, IReadOnlyList<double> baseline,
                                      double tolerance = 0)
    {
        var d = PairedDifference.Of(policy, baseline);
        double low = d.Low, high = d.High;
        if (unit == "rate" && double.IsFinite(low) && double.IsFinite(high))
        {
            low = Math.Max(low, -d.Baseline);
            high = Math.Min(high, 1 - d.Baseline);
        }
        return new MetricChange
        {
            Name = name, Kind = kind, Better = better, Unit = unit, Count = d.Count, Policy = d.Policy, Baseline = d.Baseline,
            Delta = d.Delta, Low = low, High = high, Tolerance = tolerance, Method = "paired t",
        };
    }

    /// <summary>The report.json object of this change.</summary>
    public JsonObject ToJson() => new()
    {
        ["name"] = Name, ["kind"] = Kind, ["better"] = Better.ToString().ToLowerInvariant(), ["unit"] = Unit, ["n"] = Count,
        ["policy"] = Finite(Policy), ["baseline"] = Finite(Baseline), ["delta"] = Finite(Delta), ["low"] = Finite(Low), ["high"] = Finite(High),
        ["tolerance"] = Tolerance, ["method"] = Method, ["verdict"] = VerdictCode(Verdict),
    };

    /// <summary>The verdict as written in report.json: regression, improvement or no_clear_change.</summary>
    public static string VerdictCode(ChangeVerdict verdict) => verdict switch
    {
        ChangeVerdict.Regression => "regression",
        ChangeVerdict.Improvement => "improvement",
        _ => "no_clear_change",
    };

    private static JsonNode? Finite(double value) => double.IsFinite(value) ? value : null;

    /// <summary>The changes listed in a report.json object (<c>changes</c>), in file order; entries that do not parse are skipped.</summary>
    public static IReadOnlyList<MetricChange> ListFrom(JsonObject report) =>
        (report["changes"] as JsonArray ?? []).OfType<JsonObject>().Select(FromJson).OfType<MetricChange>().ToList();

    /// <summary>A change read back from its report.json object, or null when it lacks a name or a known direction.</summary>
    public static MetricChange? FromJson(JsonObject o)
    {
        if (o["name"] is not JsonValue name || name.GetValueKind() != System.Text.Json.JsonValueKind.String) return null;
        Better? better = (string?)(o["better"] as JsonValue) switch { "higher" => Better.Higher, "lower" => Better.Lower, "neither" => Better.Neither, _ => null };
        if (better is null) return null;
        double Number(string key) => Reporting.JsonNumber.OrNaN(o[key]);
        return new MetricChange
        {
            Name = name.GetValue<string>(), Kind = (string?)(o["kind"] as JsonValue) ?? "metric", Better = better.Value,
            Unit = (string?)(o["unit"] as JsonValue) ?? "value", Count = (int)(Reporting.JsonNumber.Of(o["n"] as JsonValue) ?? 0),
            Policy = Number("policy"), Baseline = Number("baseline"), Delta = Number("delta"), Low = Number("low"), High = Number("high"),
            Tolerance = double.IsFinite(Number("tolerance")) ? Number("tolerance") : 0, Method = (string?)(o["method"] as JsonValue) ?? "",
        };
    }
}
