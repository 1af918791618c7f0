using System.ComponentModel.DataAnnotations;

namespace Alignment.LabelingUi.Features.Reports;

/// <summary>
/// The admin's settling judgment on the disagreements page: an outcome, a strength that fits it (−3..0 for A, 0..3 for
/// B, 0 for a tie or both bad, as <c>AdjudicationService</c> requires) and an optional note.
/// </summary>
public sealed class AdjudicationForm : IValidatableObject
{
    /// <summary>A, B, tie or both_bad.</summary>
    [Required(ErrorMessage = "Choose an outcome.")]
    [RegularExpression("A|B|tie|both_bad", ErrorMessage = "The outcome is A, B, tie or both_bad.")]
    public string? Outcome { get; set; }

    /// <summary>How much better, −3 (A much better) … +3 (B much better).</summary>
    [Range(-3, 3, ErrorMessage = "The strength is between −3 and +3.")]
    public int Strength { get; set; }

    /// <summary>An optional note kept with the judgment.</summary>
    [StringLength(2000, ErrorMessage = "The note is at most 2,000 characters.")]
    public string? Note { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var fits = Outcome switch
        {
            "A" => Strength <= 0,
            "B" => Strength >= 0,
            "tie" or "both_bad" => Strength == 0,
            _ => true,
        };
        if (!fits)
            yield return new ValidationResult(
                $"A strength of {Strength:+0;-0;0} does not fit \"{Outcome}\": −3..0 when A is better, 0..+3 when B is, 0 for a tie or both bad.",
                [nameof(Strength)]);
    }
}
