using Alignment.Workflows.Stages;

namespace Alignment.Workflows.Evaluation;

/// <summary>
/// The optional <c>group</c> field of held-out preference rows (<c>{"prompt", "chosen", "rejected", "group"}</c>): what
/// the pair differs in (e.g. "correctness" for pairs that differ only in the checked property), so a reward model's
/// accuracy can be read per property instead of mixing style with substance.
/// </summary>
public static class PreferenceGroups
{
    /// <summary>Group by file line, for the rows that have a string <c>group</c>.</summary>
    public static IReadOnlyDictionary<int, string> Read(string path) =>
        JsonLines.Read(path, path)
            .Where(x => x.Row["group"] is System.Text.Json.Nodes.JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String)
            .ToDictionary(x => x.Line, x => (string)x.Row["group"]!);
}
