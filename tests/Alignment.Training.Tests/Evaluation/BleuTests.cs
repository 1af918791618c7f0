using Alignment.Training.Evaluation;

namespace Alignment.Training.Tests.Evaluation;

// Expected values: sacreBLEU's test suite (test/test_bleu.py, test/test_sentence_bleu.py; numbers only), and hand
// derivations from the BLEU formula and the 13a rules. Tolerances: the suite's own (1e-8 on the 0–1 scale for
// test_bleu.py, 1e-3 on the 0–100 scale for test_sentence_bleu.py), 1e-9 for hand-derived closed forms.
public class BleuTests
{
    private static void Near(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected}, got {actual}");

    [Fact]
    public void Statistics_of_sacrebleus_statistics_case()
    {
        // test_bleu.py test_case_statistics: counts [4, 2, 1, 0], totals [6, 5, 4, 3]; lengths 6 and 8 by hand.
        var s = Bleu.Statistics("am I am a character sequence", "I am a symbol string sequence a a");
        Assert.Equal([4L, 2, 1, 0], s.Matches);
        Assert.Equal([6L, 5, 4, 3], s.Totals);
        Assert.Equal(6, s.HypothesisLength);
        Assert.Equal(8, s.ReferenceLength);
    }

    [Fact]
    public void Score_from_statistics_equals_sacrebleus_scoring_case()
    {
        // test_bleu.py test_case_scoring: compute_bleu([9, 7, 5, 3], [10, 8, 6, 4], 11, 11) = 0.8375922397 (× 100 here).
        var score = Bleu.Corpus([new BleuStatistics([9, 7, 5, 3], [10, 8, 6, 4], 11, 11)]);
        Near(83.75922397, score.Score, 1e-6);
        Assert.Equal(1.0, score.BrevityPenalty);
    }

    [Fact]
    public void Sentence_with_13a_and_exp_smoothing_equals_sacrebleus_case()
    {
        // test_sentence_bleu.py, smooth 'exp', tokenize '13a': 8.493 (± 1e-3). Every order has hypothesis n-grams
        // (14 tokens), so sacreBLEU's effective order there changes nothing. By hand: matches [5, 2, 0, 0] of
        // [14, 13, 12, 11]; the two zero orders get 100/(2·12) and 100/(4·11).
        var s = Bleu.Statistics("Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;",
                                "producţia de zahăr brut se exprimă în zahăr alb;");
        Assert.Equal([5L, 2, 0, 0], s.Matches);
        Assert.Equal([14L, 13, 12, 11], s.Totals);
        var score = Bleu.Corpus([s]);
        Near(8.493, score.Score, 1e-3);
        Near(100.0 / 24, score.Precisions[2], 1e-12);
        Near(100.0 / 44, score.Precisions[3], 1e-12);
    }

    [Fact]
    public void Exp_smoothing_halves_again_for_each_further_zero_order()
    {
        // "a b c d" vs "d c b a": every unigram matches, no longer n-gram does. Precisions 100, 100/(2·3), 100/(4·2),
        // 100/(8·1); equal lengths, so no brevity penalty.
        var score = Bleu.Corpus(["a b c d"], ["d c b a"]);
        double expected = Math.Pow(100 * (100.0 / 6) * (100.0 / 8) * (100.0 / 8), 0.25);
        Near(expected, score.Score, 1e-9);
    }

    [Fact]
    public void Corpus_bleu_sums_statistics_before_scoring_and_applies_the_brevity_penalty()
    {
        // Sentence 1 matches fully: [4, 3, 2, 1] of [4, 3, 2, 1], lengths 4/4. Sentence 2 ("another test" vs "one more
        // test"): [1, 0, 0, 0] of [2, 1, 0, 0], lengths 2/3. Sum: [5, 3, 2, 1] of [6, 4, 2, 1], 6 vs 7 tokens.
        string[] hyps = ["this is a test", "another test"], refs = ["this is a test", "one more test"];
        double expected = 100 * Math.Exp(1 - 7.0 / 6) * Math.Pow(5.0 / 6 * 3.0 / 4 * 1 * 1, 0.25);
        var direct = Bleu.Corpus(hyps, refs);
        Near(expected, direct.Score, 1e-9);
        Near(Math.Exp(1 - 7.0 / 6), direct.BrevityPenalty, 1e-12);
        // The same from per-sentence statistics, in another order (what a bootstrap over prompts does).
        var perSentence = hyps.Select((h, i) => Bleu.Statistics(h, refs[i])).Reverse().ToList();
        Near(expected, Bleu.Corpus(perSentence).Score, 1e-9);
        // Resampling with replacement: sentence 1 twice → [8, 6, 4, 2] of [8, 6, 4, 2], 8 vs 8 tokens = 100.
        Near(100, Bleu.Corpus([perSentence[1], perSentence[1]]).Score, 1e-9);
    }

    [Fact]
    public void Empty_hypotheses_score_zero_and_are_not_dropped()
    {
        // test_bleu.py: empty hypotheses are kept (and score 0.0).
        var score = Bleu.Corpus(["", "", ""], ["The dog bit the man.", "It was not unexpected.", "The man bit him first."]);
        Assert.Equal(0.0, score.Score);
        Assert.Equal(17, score.Statistics.ReferenceLength);  // 6 + 5 + 6 tokens after 13a
    }

    [Fact]
    public void An_order_without_hypothesis_ngrams_makes_the_score_zero()
    {
        // Three-token hypotheses have no 4-grams: without effective order, sacreBLEU's score is 0.
        Assert.Equal(0.0, Bleu.Corpus(["a b c"], ["a b c"]).Score);
    }

    [Theory]
    [InlineData("I'm a student.", "I'm a student .")]                                   // apostrophe stays
    [InlineData("3.14, 1,000 and 2-3 well-known.", "3.14 , 1,000 and 2 - 3 well-known .")]
    [InlineData("a &amp; b &lt;c&gt; &quot;q&quot;", "a & b < c > \" q \"")]               // unescaped, then split
    [InlineData("x<skipped>y line-\nbreak\nnext", "xy linebreak next")]
    [InlineData("(f[x]){y}=z;w?v!u@t#s$r%q^p_o`n~m|l/k*j+i:h", "( f [ x ] ) { y } = z ; w ? v ! u @ t # s $ r % q ^ p _ o ` n ~ m | l / k * j + i : h")]
    [InlineData("Mixed CASE stays", "Mixed CASE stays")]
    public void Tokenizer_13a_follows_the_mteval_rules(string line, string expected) =>
        Assert.Equal(expected, Tokenizer13a.Tokenize(line));

    [Fact]
    public void Ngrams_whose_joined_text_is_equal_are_still_different()
    {
        // Tokens [a\u0001b, c] and [a, b\u0001c] (U+0001 is neither whitespace nor a 13a symbol) share no unigram and
        // no bigram, though both bigrams read "a\u0001b\u0001c" when joined with U+0001.
        var s = Bleu.Statistics("a\u0001b c", "a b\u0001c");
        Assert.Equal([0L, 0, 0, 0], s.Matches);
        var t = Bleu.Statistics("x a\u0001b c", "x a b\u0001c");
        Assert.Equal(1L, t.Matches[0]);                  // only "x"
        Assert.Equal(0L, t.Matches[1]);
    }

    [Fact]
    public void Mismatched_counts_are_refused() =>
        Assert.Throws<ArgumentException>(() => Bleu.Corpus(["a"], ["a", "b"]));
}
