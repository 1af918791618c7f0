using System.CommandLine.Parsing;
using System.Globalization;

namespace Alignment.Cli.Commands;

/// <summary>
/// Custom parsers for whole-number options with a range: one place reports both a non-number and an out-of-range
/// value as a parse error (printed with the help text, exit code 1) instead of a validator that throws on bad input.
/// </summary>
internal static class OptionParsers
{
    public static int? NullableCount(ArgumentResult result, string option, int max = int.MaxValue) =>
        result.Tokens.Count == 0 ? null : Count(result, option, max);

    public static int Count(ArgumentResult result, string option, int max = int.MaxValue)
    {
        int value = 0;
        foreach (var token in result.Tokens) value = ParseOne(result, option, token.Value, max);
        return value;
    }

    public static int[] Counts(ArgumentResult result, string option, int max = int.MaxValue) =>
        result.Tokens.Select(t => ParseOne(result, option, t.Value, max)).ToArray();

    private static int ParseOne(ArgumentResult result, string option, string text, int max)
    {
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= max) return n;
        result.AddError(max == int.MaxValue
            ? $"{option} '{text}': expected a whole number of at least 1"
            : $"{option} '{text}': expected a whole number from 1 to {max}");
        return 0;
    }
}
