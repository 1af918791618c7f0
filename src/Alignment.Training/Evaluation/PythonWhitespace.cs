namespace Alignment.Training.Evaluation;

/// <summary>
/// Whitespace as Python's <c>str.split()</c> sees it, which sacreBLEU's tokenizers and chrF use: .NET's
/// <see cref="char.IsWhiteSpace(char)"/> plus the four separator controls U+001C–U+001F (Python counts them as
/// whitespace, .NET does not).
/// </summary>
public static class PythonWhitespace
{
    public static bool Is(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';

    /// <summary>The non-empty runs between whitespace, like Python's <c>text.split()</c>.</summary>
    public static List<string> Split(string text)
    {
        var parts = new List<string>();
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool space = i == text.Length || Is(text[i]);
            if (space && start >= 0) { parts.Add(text[start..i]); start = -1; }
            else if (!space && start < 0) start = i;
        }
        return parts;
    }

    /// <summary>The text without trailing whitespace, like Python's <c>text.rstrip()</c>.</summary>
    public static string TrimEnd(string text)
    {
        int end = text.Length;
        while (end > 0 && Is(text[end - 1])) end--;
        return text[..end];
    }
}
