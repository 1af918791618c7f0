using Alignment.Training.Evaluation;

namespace Alignment.Training.Tests.Evaluation;

// Expected values: Google's rouge-score test suite (rouge/rouge_scorer_test.py; its numbers, with the inputs of its
// testdata/target.txt and prediction.txt, whose "ground truth" came from runs of the official ROUGE-1.5.5), and hand
// derivations of its tokenizer. Tolerance: the suite's assertAlmostEqual to 5 places (|Δ| ≤ 5e-6) for the ROUGE-1.5.5
// numbers, 1e-12 for the exact fractions.
public class RougeTests
{
    private const double Exact = 1e-12;
    private const double FivePlaces = 5e-6;

    // Lines 1 and 2 of rouge-score's testdata/target.txt and testdata/prediction.txt (random letters, read with their newline).
    internal const string Target0 = "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n";
    internal const string Target1 = "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n";
    internal const string Prediction0 = "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n";
    internal const string Prediction1 = "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n";

    private static void Near(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected}, got {actual}");

    private static void Near(RougeScore actual, double precision, double recall, double f1, double tolerance)
    {
        Near(precision, actual.Precision, tolerance, "precision");
        Near(recall, actual.Recall, tolerance, "recall");
        Near(f1, actual.F1, tolerance, "F1");
    }

    [Fact]
    public void Rouge1_of_a_one_word_answer() => Near(Rouge.Score(answer: "testing", reference: "testing one two").Rouge1, 1, 1.0 / 3, 0.5, Exact);

    [Fact]
    public void Rouge2_of_a_prefix() => Near(Rouge.Score(answer: "testing one", reference: "testing one two").Rouge2, 1, 0.5, 2.0 / 3, Exact);

    [Theory]
    [InlineData("testing one")]  // consecutive
    [InlineData("testing two")]  // not consecutive: LCS, not n-grams
    public void RougeL_counts_the_longest_common_subsequence(string answer)
    {
        var s = Rouge.Score(answer, reference: "testing one two");
        Near(s.RougeL, 1, 2.0 / 3, 0.8, Exact);
        if (answer == "testing two") Near(s.Rouge2, 0, 0, 0, Exact);
    }

    [Fact]
    public void An_empty_answer_scores_zero_on_every_variant()
    {
        var s = Rouge.Score(answer: "", reference: "testing one two");
        foreach (var v in new[] { s.Rouge1, s.Rouge2, s.RougeL }) Near(v, 0, 0, 0, Exact);
    }

    [Fact]
    public void Equals_rouge155_on_rouge_scores_test_data()
    {
        var first = Rouge.Score(answer: Prediction0, reference: Target0);
        Near(first.Rouge1, 0.68750, 0.40741, 0.51163, FivePlaces);
        Near(first.Rouge2, 0.53333, 0.30769, 0.39024, FivePlaces);
        Near(first.RougeL, 0.68750, 0.40741, 0.51163, FivePlaces);
        var second = Rouge.Score(answer: Prediction1, reference: Target1);
        Near(second.Rouge1, 0.65385, 0.40476, 0.50000, FivePlaces);
        Near(second.Rouge2, 0.48000, 0.29268, 0.36364, FivePlaces);
        Near(second.RougeL, 0.65385, 0.40476, 0.50000, FivePlaces);
    }

    [Fact]
    public void Longest_common_subsequence_of_rouge_scores_lcs_table_case()
    {
        string[] reference = ["1", "2", "3", "4", "5"];
        Assert.Equal(3, Rouge.LongestCommonSubsequence(reference, ["2", "5", "3", "4"]));
        Assert.Equal(0, Rouge.LongestCommonSubsequence(reference, ["8", "9"]));
    }

    [Theory]
    [InlineData("Don't stop-gap!", new[] { "don", "t", "stop", "gap" })]
    [InlineData("  The  CAT,\tsat.\n", new[] { "the", "cat", "sat" })]
    [InlineData("café 3.14 naïve", new[] { "caf", "3", "14", "na", "ve" })]      // non-ASCII letters separate
    [InlineData("\u0130stanbul \u212Aelvin", new[] { "i", "stanbul", "kelvin" })]  // Python: İ → "i" + U+0307, K (Kelvin) → k
    [InlineData("Привет, 世界", new string[0])]
    public void Tokenizer_keeps_lowercase_ascii_letters_and_digits(string text, string[] expected) =>
        Assert.Equal(expected, RougeTokenizer.Tokenize(text));
}
