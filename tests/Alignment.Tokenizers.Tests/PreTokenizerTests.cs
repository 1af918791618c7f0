using Alignment.Tokenizers.Pipeline;
using Alignment.Tokenizers.Training;

namespace Alignment.Tokenizers.Tests;

/// <summary>The split regexes of Llama 3 and Qwen under .NET, and the split behaviors, on hand-derived examples.</summary>
public class PreTokenizerTests
{
    private const string QwenPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static string[] Split(string pattern, string text)
    {
        var regex = PatternRegex.Compile(pattern, default);
        var matches = new List<(int Start, int Length)>();
        regex.Matches(text, matches);
        var pieces = new List<Piece>();
        Splitter.Split(new Piece(text.AsMemory(), false, true), matches, SplitBehavior.Isolated, false, pieces);
        return pieces.Select(p => p.Text.ToString()).ToArray();
    }

    [Fact]
    public void Llama3_pattern_splits_contractions_words_digit_triples_and_whitespace()
    {
        Assert.Equal(["I", "'m", " here", " ", "123", "45", "\n\n", " ", " x"], Split(BpeTrainerOptions.Llama3Pattern, "I'm here 12345\n\n  x"));
        Assert.Equal(["I", "'M", " DON", "'T"], Split(BpeTrainerOptions.Llama3Pattern, "I'M DON'T")); // (?i:...) contractions
        Assert.Equal(["x", " +=", " ", "1", ";\n", "\ty"], Split(BpeTrainerOptions.Llama3Pattern, "x += 1;\n\ty")); // a tab may lead a word
    }

    [Fact]
    public void Qwen_pattern_splits_single_digits()
    {
        Assert.Equal(["abc", " ", "1", "2", "3", "4"], Split(QwenPattern, "abc 1234"));
    }

    [Fact]
    public void Characters_outside_the_bmp_count_as_one_character_of_their_category()
    {
        // 𝐇 is a letter (Oniguruma's view), so "a𝐇b" is one word; 😀 is a symbol and may lead a word.
        Assert.Equal(["a𝐇b", " 😀", "x"], Split(BpeTrainerOptions.Llama3Pattern, "a𝐇b 😀x"));
        Assert.Equal(["😀abc"], Split(BpeTrainerOptions.Llama3Pattern, "😀abc"));
        Assert.Equal(["𝟏", "𝟐"], Split(QwenPattern, "𝟏𝟐")); // mathematical digits are numbers
    }

    [Theory]
    // Hugging Face's documented example: "the-final--countdown" split on "-".
    [InlineData("Removed", new[] { "the", "final", "countdown" })]
    [InlineData("Isolated", new[] { "the", "-", "final", "-", "-", "countdown" })]
    [InlineData("MergedWithPrevious", new[] { "the-", "final-", "-", "countdown" })]
    [InlineData("MergedWithNext", new[] { "the", "-final", "-", "-countdown" })]
    [InlineData("Contiguous", new[] { "the", "-", "final", "--", "countdown" })]
    public void Split_behaviors_follow_hugging_faces_definitions(string behavior, string[] expected)
    {
        const string text = "the-final--countdown";
        var matches = new List<(int, int)> { (3, 1), (9, 1), (10, 1) };
        var pieces = new List<Piece>();
        Splitter.Split(new Piece(text.AsMemory(), false, true), matches, Enum.Parse<SplitBehavior>(behavior), invert: false, pieces);
        Assert.Equal(expected, pieces.Select(p => p.Text.ToString()));
    }

    [Fact]
    public void Inverted_split_keeps_the_matches_as_the_words()
    {
        var pieces = new List<Piece>();
        Splitter.Split(new Piece("ab, cd".AsMemory(), false, true), [(0, 2), (4, 2)], SplitBehavior.Removed, invert: true, pieces);
        Assert.Equal(["ab", "cd"], pieces.Select(p => p.Text.ToString()));
    }

    [Fact]
    public void Only_the_first_piece_keeps_the_continuation_and_origin_flags()
    {
        var pieces = new List<Piece>();
        Splitter.Split(new Piece("a b".AsMemory(), true, true), [(1, 1)], SplitBehavior.Isolated, false, pieces);
        Assert.Equal([(true, true), (false, false), (false, false)], pieces.Select(p => (p.IsContinuation, p.AtOrigin)));
    }
}
