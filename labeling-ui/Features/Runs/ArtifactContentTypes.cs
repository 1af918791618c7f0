namespace Alignment.LabelingUi.Features.Runs;

/// <summary>
/// Content types of artifact files. Text, JSON, markdown and common images are shown in the browser; anything else
/// (HTML, scripts, weights ...) is sent as a download, so no artifact can run as a page of this site.
/// </summary>
public static class ArtifactContentTypes
{
    /// <summary>The Content-Security-Policy of every artifact file: nothing runs, nothing loads from elsewhere, sandboxed.</summary>
    public const string SandboxPolicy = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

    private static readonly Dictionary<string, string> Inline = new(StringComparer.OrdinalIgnoreCase)
    {
        [".md"] = "text/markdown; charset=utf-8",
        [".txt"] = "text/plain; charset=utf-8",
        [".log"] = "text/plain; charset=utf-8",
        [".csv"] = "text/csv; charset=utf-8",
        [".json"] = "application/json; charset=utf-8",
        [".jsonl"] = "application/x-ndjson; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
        [".gif"] = "image/gif",
        [".webp"] = "image/webp",
    };

    /// <summary>The content type of a file and whether it is shown inline (false: a download).</summary>
    public static (string ContentType, bool Inline) Of(string path) =>
        Inline.TryGetValue(Path.GetExtension(path), out var type) ? (type, true) : ("application/octet-stream", false);
}
