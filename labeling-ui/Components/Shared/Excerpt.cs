namespace Alignment.LabelingUi.Components.Shared;

/// <summary>The start of a long text for a table cell.</summary>
public static class Excerpt
{
    /// <summary><paramref name="text"/> cut to 120 characters, ending in "…" when it was cut.</summary>
    public static string Of(string text) => text.Length <= 120 ? text : text[..119] + "…";
}
