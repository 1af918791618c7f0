using Alignment.Training.Evaluation;

namespace Alignment.Training.Tests.Evaluation;

// Expected values: sacreBLEU's test suite (test/test_chrf.py; numbers only; most of its cases use beta = 3) and hand
// derivations. Tolerance: the suite's own EPSILON, 1e-4 on the 0–100 scale.
public class ChrfTests
{
    private const double Tolerance = 1e-4;

    private static void Near(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= Tolerance, $"expected {expected}, got {actual}");

    [Theory]  // test_chrf.py test_cases: char_order 6, word_order 0, beta 3, eps_smoothing True
    [InlineData(new[] { "abcdefg" }, new[] { "hijklmnop" }, 0.0)]
    [InlineData(new[] { "a" }, new[] { "b" }, 0.0)]
    [InlineData(new[] { "" }, new[] { "reference" }, 0.0)]
    [InlineData(new[] { "aa" }, new[] { "ab" }, 8.3333)]
    [InlineData(new[] { "a", "b" }, new[] { "a", "c" }, 8.3333)]
    [InlineData(new[] { "a" }, new[] { "a" }, 16.6667)]
    [InlineData(new[] { "a b c" }, new[] { "a b c" }, 50.0)]
    [InlineData(new[] { "a b c" }, new[] { "abc" }, 50.0)]
    [InlineData(new[] { " risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ." },
                new[] { "risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ." }, 63.361730)]
    [InlineData(new[] { " Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. " },
                new[] { "Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich." }, 64.1302698)]
    [InlineData(new[] { "Niemand hat die Absicht, eine Mauer zu errichten" }, new[] { "Niemand hat die Absicht, eine Mauer zu errichten" }, 100.0)]
    public void Eps_smoothed_beta3_equals_sacrebleus_cases(string[] hyps, string[] refs, double expected) =>
        Near(expected, Chrf.Corpus(hyps, refs, beta: 3, epsSmoothing: true));

    [Theory]  // test_chrf.py test_cases_effective_order: beta 3, eps_smoothing False (sacreBLEU's default scoring)
    [InlineData(new[] { "a" }, new[] { "a" }, 100.0)]
    [InlineData(new[] { "" }, new[] { "reference" }, 0.0)]
    [InlineData(new[] { "a b c" }, new[] { "a b c" }, 100.0)]
    [InlineData(new[] { "a b c" }, new[] { "abc" }, 100.0)]
    [InlineData(new[] { "" }, new[] { "c" }, 0.0)]
    [InlineData(new[] { "a", "b" }, new[] { "a", "c" }, 50.0)]
    [InlineData(new[] { "aa" }, new[] { "ab" }, 25.0)]
    public void Effective_order_beta3_equals_sacrebleus_cases(string[] hyps, string[] refs, double expected) =>
        Near(expected, Chrf.Corpus(hyps, refs, beta: 3));

    [Theory]  // test_chrf.py test_sentence_level_chrf: sentence_chrf with defaults (beta 2) and eps_smoothing True
    [InlineData("Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.",
                "Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.", 39.14078509)]
    [InlineData("Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.",
                "A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.", 31.22557079)]
    [InlineData("Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.",
                "Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.", 57.15704367)]
    public void Sentence_level_beta2_equals_sacrebleus_cases(string hyp, string reference, double expected) =>
        Near(expected, Chrf.Corpus([Chrf.Statistics(hyp, reference)], epsSmoothing: true));

    [Fact]
    public void Default_chrf2_by_hand()
    {
        // "ab" vs "abc": order 1 P = 2/2, R = 2/3; order 2 P = 1/1, R = 1/2; orders 3–6 have no hypothesis n-grams.
        // Effective orders 1–2: mean P = 1, mean R = 7/12; F2 = 5·P·R / (4P + R) = 7/11.
        Near(100.0 * 7 / 11, Chrf.Corpus(["ab"], ["abc"]));
        var s = Chrf.Statistics("a bc", "abc");  // whitespace removed before counting
        Assert.Equal([3L, 2, 1, 0, 0, 0], s.HypothesisNgrams);
        Assert.Equal([3L, 2, 1, 0, 0, 0], s.Matches);
    }

    [Fact]
    public void Code_points_not_utf16_units_are_characters()
    {
        // U+1F600 is two UTF-16 units but one character: "😀" against itself has one unigram and no bigram.
        var s = Chrf.Statistics("\U0001F600", "\U0001F600");
        Assert.Equal([1L, 0, 0, 0, 0, 0], s.HypothesisNgrams);
    }
}
