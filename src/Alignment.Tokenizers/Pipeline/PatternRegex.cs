using System.Globalization;
using System.Text.RegularExpressions;

namespace Alignment.Tokenizers.Pipeline;

/// <summary>
/// A tokenizer.json regex (written for Oniguruma, which Hugging Face's Rust tokenizers use) run by
/// .NET's regex engine.
/// </summary>
/// <remarks>
/// The syntax these patterns use (<c>\p{L}</c>, <c>(?i:'s|'t)</c>, <c>\s+(?!\S)</c>, <c>\p{N}{1,3}</c>)
/// means the same in both engines, and <c>\s</c> is the same set (tab..CR, U+0085 and the Z categories).
/// The difference is the unit: Oniguruma matches code points, .NET matches UTF-16 code units, so a
/// character outside the BMP (an emoji, 𝐇, 𠀀) is two surrogates of category Cs to .NET and would
/// neither be a letter nor count as one character for <c>[^\p{L}]?</c>. Before matching, such a
/// character is therefore replaced by one BMP stand-in of the same Unicode category, and the
/// matches are mapped back to the original offsets. Text without surrogates is matched as is.
/// </remarks>
internal sealed class PatternRegex
{
    private readonly Regex _regex;

    public PatternRegex(Regex regex) => _regex = regex;

    public string Pattern => _regex.ToString();

    /// <summary>Compiles a tokenizer.json regex; a pattern .NET cannot parse is reported with its JSON path.</summary>
    public static PatternRegex Compile(string pattern, Json.JsonCursor at)
    {
        try
        {
            return new PatternRegex(new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant));
        }
        catch (ArgumentException e)
        {
            throw at.Error($"regex cannot be compiled by .NET: {e.Message}");
        }
    }

    /// <summary>Appends every match of the pattern in <paramref name="text"/> as (start, length), in order.</summary>
    public void Matches(ReadOnlySpan<char> text, List<(int Start, int Length)> output)
    {
        output.Clear();
        if (text.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            foreach (var m in _regex.EnumerateMatches(text))
                output.Add((m.Index, m.Length));
            return;
        }

        var (folded, map) = FoldSupplementary(text);
        foreach (var m in _regex.EnumerateMatches(folded))
        {
            int start = map[m.Index];
            output.Add((start, map[m.Index + m.Length] - start));
        }
    }

    /// <summary>
    /// Replaces each surrogate pair by a BMP character of the same general category; map[i] is the
    /// original offset of folded character i, map[folded.Length] the original length.
    /// </summary>
    internal static (string Folded, int[] Map) FoldSupplementary(ReadOnlySpan<char> text)
    {
        var folded = new char[text.Length];
        var map = new int[text.Length + 1];
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            map[n] = i;
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int codePoint = char.ConvertToUtf32(c, text[i + 1]);
                folded[n++] = StandIn(CharUnicodeInfo.GetUnicodeCategory(codePoint));
                i++;
            }
            else
            {
                folded[n++] = c;
            }
        }
        map[n] = text.Length;
        return (new string(folded, 0, n), map);
    }

    /// <summary>A BMP character, outside ASCII, of each general category.</summary>
    private static char StandIn(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter => '\u00C0',
        UnicodeCategory.LowercaseLetter => '\u00E0',
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\u02B0',
        UnicodeCategory.OtherLetter => '\u00AA',
        UnicodeCategory.NonSpacingMark => '\u0300',
        UnicodeCategory.SpacingCombiningMark => '\u0903',
        UnicodeCategory.EnclosingMark => '\u0488',
        UnicodeCategory.DecimalDigitNumber => '\u0660',
        UnicodeCategory.LetterNumber => '\u2160',
        UnicodeCategory.OtherNumber => '\u00B2',
        UnicodeCategory.ConnectorPunctuation => '\u203F',
        UnicodeCategory.DashPunctuation => '\u2010',
        UnicodeCategory.OpenPunctuation => '\u2045',
        UnicodeCategory.ClosePunctuation => '\u2046',
        UnicodeCategory.InitialQuotePunctuation => '\u00AB',
        UnicodeCategory.FinalQuotePunctuation => '\u00BB',
        UnicodeCategory.OtherPunctuation => '\u00A1',
        UnicodeCategory.MathSymbol => '\u00AC',
        UnicodeCategory.CurrencySymbol => '\u00A2',
        UnicodeCategory.ModifierSymbol => '\u00A8',
        UnicodeCategory.OtherSymbol => '\u00A6',
        UnicodeCategory.SpaceSeparator => '\u2000',
        UnicodeCategory.Format => '\u00AD',
        UnicodeCategory.PrivateUse => '\uE000',
        _ => '\u0378', // unassigned
    };
}
