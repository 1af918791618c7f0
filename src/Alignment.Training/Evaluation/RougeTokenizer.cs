using System.Text;

namespace Alignment.Training.Evaluation;

/// <summary>
/// The tokenizer of Google's <c>rouge-score</c> package: lowercase, every character outside <c>[a-z0-9]</c> separates
/// tokens, empty tokens are dropped; with <c>stem</c> (off by default, as there), tokens longer than 3 characters go
/// through <see cref="PorterStemmer"/>. "Don't stop-gap!" gives don, t, stop, gap; letters
/// outside ASCII (é, ß, Cyrillic, CJK) are separators too, so a text in another script has no tokens at all.
/// Lowercasing only matters for characters that lowercase into <c>[a-z]</c>: A–Z, U+0130 (İ → i, whose combining dot
/// then separates) and U+212A (Kelvin sign → k), mapped here exactly as Python's <c>str.lower</c> maps them.
/// </summary>
public static class RougeTokenizer
{
    public static IReadOnlyList<string> Tokenize(string text, bool stem = false)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        foreach (char c in text)
        {
            char? kept = Lower(c);
            if (kept is char k) current.Append(k);
            if (kept is null || c == '\u0130')      // İ lowercases to "i" + a combining dot, which ends the token
            {
                if (current.Length > 0) tokens.Add(current.ToString());
                current.Clear();
            }
        }
        if (current.Length > 0) tokens.Add(current.ToString());
        return stem ? tokens.Select(t => t.Length > 3 ? PorterStemmer.Stem(t) : t).ToList() : tokens;
    }

    /// <summary>The character as it appears in a token, or null when it separates tokens.</summary>
    private static char? Lower(char c) => c switch
    {
        >= 'a' and <= 'z' or >= '0' and <= '9' => c,
        >= 'A' and <= 'Z' => (char)(c + ('a' - 'A')),
        '\u0130' => 'i',
        '\u212A' => 'k',
        _ => null,
    };
}
