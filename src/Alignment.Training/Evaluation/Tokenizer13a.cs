using System.Text.RegularExpressions;

namespace Alignment.Training.Evaluation;

/// <summary>
/// sacreBLEU's default BLEU tokenizer "13a", the tokenization of the NIST script mteval-v13a.pl, written from its rules:
/// <list type="number">
/// <item>remove "&lt;skipped&gt;", join "-" + line break, turn line breaks into spaces, and unescape &amp;quot; &amp;amp;
/// &amp;lt; &amp;gt;;</item>
/// <item>split off as its own token every ASCII symbol except the apostrophe, hyphen, period and comma
/// (<c>{|}~ [\]^_` space!"#$%&amp; ()*+ :;&lt;=&gt;?@ /</c>);</item>
/// <item>split off a period or comma unless it has a digit both before and after it (so 3.14 and 1,000 stay whole);
/// </item>
/// <item>split off a hyphen that follows a digit (so 2-3 becomes "2 - 3", while "well-known" stays whole);</item>
/// <item>collapse whitespace into single spaces.</item>
/// </list>
/// Case is kept. The rules are applied as regular-expression replacements left to right, each scanning the text once
/// without overlapping matches, which is what makes the result equal sacreBLEU's on runs like "a..b".
/// </summary>
public static class Tokenizer13a
{
    private static readonly Regex Symbols = new(@"([\x7B-\x7E\x5B-\x60\x20-\x26\x28-\x2B\x3A-\x40/])", RegexOptions.CultureInvariant);
    private static readonly Regex PeriodCommaAfterNonDigit = new(@"([^0-9])([.,])", RegexOptions.CultureInvariant);
    private static readonly Regex PeriodCommaBeforeNonDigit = new(@"([.,])([^0-9])", RegexOptions.CultureInvariant);
    private static readonly Regex HyphenAfterDigit = new(@"([0-9])(-)", RegexOptions.CultureInvariant);

    /// <summary>The tokens of <paramref name="line"/> joined by single spaces.</summary>
    public static string Tokenize(string line)
    {
        line = line.Replace("<skipped>", "").Replace("-\n", "").Replace("\n", " ");
        if (line.Contains('&')) line = line.Replace("&quot;", "\"").Replace("&amp;", "&").Replace("&lt;", "<").Replace("&gt;", ">");
        line = " " + line + " ";
        line = Symbols.Replace(line, " $1 ");
        line = PeriodCommaAfterNonDigit.Replace(line, "$1 $2 ");
        line = PeriodCommaBeforeNonDigit.Replace(line, " $1 $2");
        line = HyphenAfterDigit.Replace(line, "$1 $2 ");
        return string.Join(' ', PythonWhitespace.Split(line));
    }
}
