using System.ComponentModel.DataAnnotations;

namespace Alignment.LabelingUi.Features.Projects;

/// <summary>
/// The project page's "pair imported responses" form: the mode (every pair per prompt, or K random pairs per prompt),
/// K, and whether two answers of one model may be paired. Validated at the field; the store's options come from
/// <see cref="PairingRequest"/>, as for <c>POST /api/projects/{id}/comparisons</c>.
/// </summary>
public sealed class PairingForm
{
    [Required(ErrorMessage = "Choose how to pair.")]
    public string Mode { get; set; } = "all";
    [Range(1, 1000, ErrorMessage = "K is between 1 and 1000.")]
    public int PairsPerPrompt { get; set; } = 1;
    public bool SkipSameModel { get; set; } = true;

    /// <summary>The API's request for the same choices.</summary>
    public PairingRequest ToRequest() => new(Mode, PairsPerPrompt, 0, SkipSameModel);
}
