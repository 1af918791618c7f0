namespace Alignment.Training.Evaluation;

/// <summary>
/// Exact match of an answer and its reference after removing leading and trailing whitespace (every character .NET's
/// <see cref="char.IsWhiteSpace(char)"/> accepts: spaces, tabs, line breaks, Unicode space separators). Nothing else is
/// normalized: case, punctuation, inner whitespace and Unicode composition must agree code unit for code unit.
/// </summary>
public static class ExactMatch
{
    public static bool Matches(string answer, string reference) => string.Equals(answer.Trim(), reference.Trim(), StringComparison.Ordinal);

    /// <summary>The fraction (0–1) of answers that match their references (same count, paired by index; 0 for none).</summary>
    public static double Rate(IReadOnlyList<string> answers, IReadOnlyList<string> references)
    {
        if (answers.Count != references.Count)
            throw new ArgumentException($"{answers.Count} answers but {references.Count} references; exact match needs one reference per answer");
        return answers.Count == 0 ? 0 : (double)answers.Where((a, i) => Matches(a, references[i])).Count() / answers.Count;
    }
}
