using Alignment.Data.Model;

namespace Alignment.Data.Projects;

/// <summary>A labeling project: its guidelines and queue settings.</summary>
public sealed record Project
{
    /// <summary>Database id.</summary>
    public required long Id { get; init; }
    /// <summary>Unique name.</summary>
    public required string Name { get; init; }
    /// <summary>Guidelines shown to annotators (markdown).</summary>
    public required string GuidelinesMarkdown { get; init; }
    /// <summary>How many different annotators judge each regular comparison.</summary>
    public required int OverlapK { get; init; }
    /// <summary>The largest |strength| an annotator may give (0..3; 0 asks for no strength).</summary>
    public required int StrengthMax { get; init; }
    /// <summary>Whether the helpful/harmless/honest ratings are asked for.</summary>
    public required bool AspectsEnabled { get; init; }
    /// <summary>Fraction of served items that are gold (known-answer) items, when gold items exist.</summary>
    public required double GoldRate { get; init; }
    /// <summary>How long an assignment is held for its annotator before it returns to the pool.</summary>
    public required int LeaseMinutes { get; init; }
    /// <summary>When the project was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>The settings a project is created or updated with.</summary>
/// <param name="Name">Unique project name (1..200 characters).</param>
/// <param name="GuidelinesMarkdown">Guidelines shown to annotators; default empty.</param>
/// <param name="OverlapK">Judgments wanted per comparison, each from a different annotator; default 1.</param>
/// <param name="StrengthMax">Largest |strength| on the −3..3 scale; default 3.</param>
/// <param name="AspectsEnabled">Ask for helpful/harmless/honest ratings; default false.</param>
/// <param name="GoldRate">Fraction of gold items mixed into each annotator's queue; default 0.1.</param>
/// <param name="LeaseMinutes">Lease length in minutes; default 30.</param>
public sealed record ProjectSettings(
    string Name,
    string GuidelinesMarkdown = "",
    int OverlapK = 1,
    int StrengthMax = 3,
    bool AspectsEnabled = false,
    double GoldRate = 0.1,
    int LeaseMinutes = 30)
{
    /// <summary>Throws <see cref="InvalidRequestException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 200)
            throw new InvalidRequestException("The project name must be 1 to 200 characters.");
        if (OverlapK is < 1 or > 100)
            throw new InvalidRequestException($"overlap k must be between 1 and 100 (got {OverlapK}).");
        if (StrengthMax is < 0 or > 3)
            throw new InvalidRequestException($"strength max must be between 0 and 3 (got {StrengthMax}).");
        if (double.IsNaN(GoldRate) || GoldRate < 0 || GoldRate > 1)
            throw new InvalidRequestException($"gold rate must be between 0 and 1 (got {GoldRate}).");
        if (LeaseMinutes is < 1 or > 7 * 24 * 60)
            throw new InvalidRequestException($"lease minutes must be between 1 and 10080 (got {LeaseMinutes}).");
    }
}
