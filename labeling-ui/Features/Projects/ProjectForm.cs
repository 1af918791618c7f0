using Alignment.Data.Projects;

namespace Alignment.LabelingUi.Features.Projects;

/// <summary>The project settings form of the admin pages (bound by static SSR form posts).</summary>
public sealed class ProjectForm
{
    public string? Name { get; set; }
    public string? Guidelines { get; set; }
    public int OverlapK { get; set; } = 1;
    public int StrengthMax { get; set; } = 3;
    public bool AspectsEnabled { get; set; }
    public double GoldRate { get; set; } = 0.1;
    public int LeaseMinutes { get; set; } = 30;

    /// <summary>The store's settings (validated by the store).</summary>
    public ProjectSettings ToSettings() =>
        new((Name ?? "").Trim(), Guidelines ?? "", OverlapK, StrengthMax, AspectsEnabled, GoldRate, LeaseMinutes);

    /// <summary>The form filled from a project.</summary>
    public static ProjectForm From(Project p) => new()
    {
        Name = p.Name, Guidelines = p.GuidelinesMarkdown, OverlapK = p.OverlapK, StrengthMax = p.StrengthMax,
        AspectsEnabled = p.AspectsEnabled, GoldRate = p.GoldRate, LeaseMinutes = p.LeaseMinutes,
    };
}
