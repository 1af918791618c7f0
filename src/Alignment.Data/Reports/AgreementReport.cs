namespace Alignment.Data.Reports;

/// <summary>Cohen's κ between two annotators over the comparisons both judged (outcome, 4 categories).</summary>
/// <param name="AnnotatorA">First annotator's name (alphabetically first).</param>
/// <param name="AnnotatorB">Second annotator's name.</param>
/// <param name="Items">Comparisons both judged.</param>
/// <param name="Agreement">Raw fraction of those with the same outcome.</param>
/// <param name="Kappa">Cohen's κ, or null when undefined (both used a single, identical category).</param>
public sealed record PairAgreement(string AnnotatorA, string AnnotatorB, int Items, double Agreement, double? Kappa);

/// <summary>How often an annotator matched the known answer of gold items.</summary>
/// <param name="Annotator">The annotator's name.</param>
/// <param name="GoldJudged">Gold items with an active judgment by them.</param>
/// <param name="Correct">Those whose outcome equals the gold outcome.</param>
public sealed record GoldAccuracy(string Annotator, int GoldJudged, int Correct)
{
    /// <summary>Correct / judged, or null with no gold judged.</summary>
    public double? Accuracy => GoldJudged == 0 ? null : (double)Correct / GoldJudged;
}

/// <summary>Agreement statistics of a project's active judgments. Undefined coefficients are null.</summary>
/// <param name="Pairs">Cohen's κ per annotator pair with at least one shared comparison.</param>
/// <param name="FleissKappa">Fleiss' κ over the comparisons with exactly k active judgments (outcome).</param>
/// <param name="FleissItems">How many comparisons Fleiss' κ used.</param>
/// <param name="AlphaNominalOutcome">Krippendorff's α, nominal, over the outcome (A, B, tie, both_bad).</param>
/// <param name="AlphaOrdinalStrength">Krippendorff's α, ordinal, over the signed strength −3..3.</param>
/// <param name="AlphaItems">Comparisons with at least two judgments (the pairable units of α).</param>
/// <param name="Gold">Gold accuracy per annotator who judged gold items.</param>
public sealed record AgreementReport(
    IReadOnlyList<PairAgreement> Pairs,
    double? FleissKappa,
    int FleissItems,
    double? AlphaNominalOutcome,
    double? AlphaOrdinalStrength,
    int AlphaItems,
    IReadOnlyList<GoldAccuracy> Gold);
