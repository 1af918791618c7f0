using Alignment.Data.Projects;

namespace Alignment.LabelingUi.Features.Projects;

/// <summary>The project settings form of the admin pages (bound by static SSR form posts).</summary>
public sealed class ProjectForm
{
    // Nullable: a form that leaves a field out (the short "new project" form) gets the store's default for it.
    public string? Name { get; set; }
    public string? Guidelines { get; set; }
    public int? OverlapK { get; set; } = Defaults.OverlapK;
    public int? StrengthMax { get; set; } = Defaults.StrengthMax;
    public bool AspectsEnabled { get; set; }
    public double? GoldRate { get; set; } = Defaults.GoldRate;
    public int? LeaseMinutes { get; set; } = Defaults.LeaseMinutes;

    private static readonly ProjectSettings Defaults = new("");

    /// <summary>The store's settings (validated by the store).</summary>
    public ProjectSettings ToSettings() => new((Name ?? "").Trim(), Guidelines ?? "", OverlapK ?? Defaults.OverlapK,
        StrengthMax ?? Defaults.StrengthMax, AspectsEnabled, GoldRate ?? Defaults.GoldRate, LeaseMinutes ?? Defaults.LeaseMinutes);

    /// <summary>The form filled from a project.</summary>
    public static ProjectForm From(Project p) => new()
    {
        Name = p.Name, Guidelines = p.GuidelinesMarkdown, OverlapK = p.OverlapK, StrengthMax = p.StrengthMax,
        AspectsEnabled = p.AspectsEnabled, GoldRate = p.GoldRate, LeaseMinutes = p.LeaseMinutes,
    };
}
