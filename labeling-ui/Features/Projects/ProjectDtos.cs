using Alignment.Data.ImportExport;
using Alignment.Data.Model;
using Alignment.Data.Projects;

namespace Alignment.LabelingUi.Features.Projects;

/// <summary>A project's settings as the API shows them.</summary>
public sealed record ProjectResponse(long Id, string Name, string Guidelines, int OverlapK, int StrengthMax, bool AspectsEnabled,
    double GoldRate, int LeaseMinutes, DateTimeOffset CreatedAt)
{
    /// <summary>From the store's project.</summary>
    public static ProjectResponse From(Project p) =>
        new(p.Id, p.Name, p.GuidelinesMarkdown, p.OverlapK, p.StrengthMax, p.AspectsEnabled, p.GoldRate, p.LeaseMinutes, p.CreatedAt);
}

/// <summary>Create or update a project; on update, omitted fields keep their value.</summary>
public sealed record ProjectRequest(string? Name = null, string? Guidelines = null, int? OverlapK = null, int? StrengthMax = null,
    bool? AspectsEnabled = null, double? GoldRate = null, int? LeaseMinutes = null)
{
    /// <summary>The settings of a new project (defaults for what is omitted); the store validates them.</summary>
    public ProjectSettings ToNew()
    {
        var defaults = new ProjectSettings(Name ?? "");
        return Merge(defaults);
    }

    /// <summary>The old settings with this request's fields applied.</summary>
    public ProjectSettings Merge(ProjectSettings old) => new(
        Name ?? old.Name, Guidelines ?? old.GuidelinesMarkdown, OverlapK ?? old.OverlapK, StrengthMax ?? old.StrengthMax,
        AspectsEnabled ?? old.AspectsEnabled, GoldRate ?? old.GoldRate, LeaseMinutes ?? old.LeaseMinutes);

    /// <summary>The settings a project has now.</summary>
    public static ProjectSettings SettingsOf(Project p) =>
        new(p.Name, p.GuidelinesMarkdown, p.OverlapK, p.StrengthMax, p.AspectsEnabled, p.GoldRate, p.LeaseMinutes);
}

/// <summary>How to pair imported responses into comparisons.</summary>
/// <param name="Mode"><c>all</c> (every pair of answers to a prompt) or <c>random</c> (up to <paramref name="PairsPerPrompt"/> per prompt).</param>
/// <param name="PairsPerPrompt">K for <c>random</c>.</param>
/// <param name="Seed">Seed of the draw and of which answer becomes A.</param>
/// <param name="SkipSameModel">Never pair two answers of the same model.</param>
public sealed record PairingRequest(string? Mode = "all", int PairsPerPrompt = 1, int Seed = 0, bool SkipSameModel = false)
{
    /// <summary>The store's options; throws <see cref="InvalidRequestException"/> for an unknown mode.</summary>
    public PairingOptions ToOptions() => new(Mode?.Trim().ToLowerInvariant() switch
    {
        null or "" or "all" => PairingMode.AllPairs,
        "random" => PairingMode.RandomPairs,
        _ => throw new InvalidRequestException($"mode '{Mode}' is not one of all, random."),
    }, PairsPerPrompt, Seed, SkipSameModel);
}

/// <summary>How many comparisons pairing created.</summary>
public sealed record PairingResponse(int Created);

/// <summary>The words used for import kinds and export formats in the API, the forms and the CLI.</summary>
public static class DataWords
{
    /// <summary>Parses <c>prompts</c>, <c>responses</c> or <c>pairs</c>.</summary>
    public static ImportKind ImportKind(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "prompts" => Data.ImportExport.ImportKind.Prompts,
        "responses" => Data.ImportExport.ImportKind.Responses,
        "pairs" => Data.ImportExport.ImportKind.Pairs,
        null or "" => throw new InvalidRequestException("kind is required: prompts, responses or pairs."),
        _ => throw new InvalidRequestException($"kind '{text}' is not one of prompts, responses, pairs."),
    };

    /// <summary>Export formats: TRL preference JSONL, KTO JSONL, judgment CSV.</summary>
    public static readonly string[] ExportFormats = ["trl", "kto", "csv"];

    /// <summary>Checks an export format word.</summary>
    public static string ExportFormat(string? text)
    {
        var format = text?.Trim().ToLowerInvariant();
        return format is "trl" or "kto" or "csv"
            ? format
            : throw new InvalidRequestException(format is null or "" ? "format is required: trl, kto or csv." : $"format '{text}' is not one of trl, kto, csv.");
    }
}
