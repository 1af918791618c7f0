using System.ComponentModel.DataAnnotations;
using Alignment.Data.Projects;

namespace Alignment.LabelingUi.Features.Projects;

/// <summary>
/// The project settings form of the admin pages. Its validation attributes show the store's limits at the field as the
/// admin types (interactive forms with a DataAnnotationsValidator); the store checks them again on save.
/// </summary>
public sealed class ProjectForm
{
    // Nullable: a form that leaves a field out (the short "new project" form) gets the store's default for it.
    [Required(ErrorMessage = "The project name is required."), StringLength(200, ErrorMessage = "The project name is at most 200 characters.")]
    public string? Name { get; set; }
    public string? Guidelines { get; set; }
    [Range(1, 100, ErrorMessage = "Overlap k is between 1 and 100.")]
    public int? OverlapK { get; set; } = Defaults.OverlapK;
    [Range(0, 3, ErrorMessage = "Strength max is between 0 and 3.")]
    public int? StrengthMax { get; set; } = Defaults.StrengthMax;
    public bool AspectsEnabled { get; set; }
    [Range(0.0, 1.0, ErrorMessage = "The gold rate is between 0 and 1.")]
    public double? GoldRate { get; set; } = Defaults.GoldRate;
    [Range(1, 7 * 24 * 60, ErrorMessage = "Lease minutes are between 1 and 10080.")]
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
