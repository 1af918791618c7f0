using Alignment.Tokenizers.Json;

namespace Alignment.Tokenizers.Pipeline;

/// <summary>
/// The <c>pattern</c> of a Replace or Split component: <c>{"String": "..."}</c> (a literal) or
/// <c>{"Regex": "..."}</c>.
/// </summary>
internal sealed class ReplacePattern
{
    private readonly string? _literal;
    private readonly PatternRegex? _regex;

    private ReplacePattern(string? literal, PatternRegex? regex)
    {
        _literal = literal;
        _regex = regex;
    }

    public static ReplacePattern Load(JsonCursor component)
    {
        var pattern = component.Child("pattern");
        if (pattern.Has("String")) return new ReplacePattern(pattern.Child("String").GetString(), null);
        if (pattern.Has("Regex"))
        {
            var regex = pattern.Child("Regex");
            return new ReplacePattern(null, PatternRegex.Compile(regex.GetString(), regex));
        }
        throw pattern.Error("must be {\"String\": ...} or {\"Regex\": ...}");
    }

    /// <summary>Appends the (start, length) of every match in <paramref name="text"/>.</summary>
    public void Matches(ReadOnlySpan<char> text, List<(int Start, int Length)> output)
    {
        if (_regex is not null)
        {
            _regex.Matches(text, output);
            return;
        }
        output.Clear();
        if (_literal!.Length == 0) return;
        int at = 0;
        while (at <= text.Length - _literal.Length)
        {
            int found = text[at..].IndexOf(_literal, StringComparison.Ordinal);
            if (found < 0) break;
            output.Add((at + found, _literal.Length));
            at += found + _literal.Length;
        }
    }

    public string Replace(string text, string content)
    {
        if (_regex is null) return _literal!.Length == 0 ? text : text.Replace(_literal, content, StringComparison.Ordinal);
        var matches = new List<(int Start, int Length)>();
        _regex.Matches(text, matches);
        if (matches.Count == 0) return text;
        var sb = new System.Text.StringBuilder(text.Length);
        int cursor = 0;
        foreach (var (start, length) in matches)
        {
            sb.Append(text, cursor, start - cursor).Append(content);
            cursor = start + length;
        }
        return sb.Append(text, cursor, text.Length - cursor).ToString();
    }
}
