namespace Alignment.Data.Model;

/// <summary>What an account may do.</summary>
public enum AnnotatorRole
{
    /// <summary>Labels comparisons; sees no model names, no other annotators' judgments, no admin pages.</summary>
    Annotator,
    /// <summary>Manages projects and annotators, sees statistics, adjudicates disagreements; can also label.</summary>
    Admin,
}

/// <summary>Text codes for <see cref="AnnotatorRole"/> (<c>admin</c>, <c>annotator</c>).</summary>
public static class AnnotatorRoleCodes
{
    /// <summary>The stored code.</summary>
    public static string ToCode(this AnnotatorRole role) => role == AnnotatorRole.Admin ? "admin" : "annotator";

    /// <summary>Parses <c>admin</c> or <c>annotator</c> (case-insensitive).</summary>
    public static AnnotatorRole Parse(string code) => code.Trim().ToLowerInvariant() switch
    {
        "admin" => AnnotatorRole.Admin,
        "annotator" => AnnotatorRole.Annotator,
        _ => throw new FormatException($"'{code}' is not a role; expected admin or annotator."),
    };
}
