using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Queries;

/// <summary>
/// Resolves a relative path inside a folder artifact for serving, refusing anything that could leave the folder:
/// absolute paths, drive letters, backslashes, <c>..</c> and <c>.</c> segments, empty segments, and any symbolic link
/// along the way (a link inside the folder could point anywhere). Only regular files are served.
/// </summary>
public static class ArtifactFiles
{
    /// <summary>The full path of <paramref name="relative"/> inside <paramref name="artifact"/>'s folder, or throws.</summary>
    /// <exception cref="WorkflowException">The path is not a plain relative path inside the folder.</exception>
    /// <exception cref="WorkflowNotFoundException">The artifact is not a folder on disk, or it holds no such file.</exception>
    public static string Resolve(ArtifactRecord artifact, string? relative)
    {
        var path = relative ?? "";
        if (path.Length == 0) throw new WorkflowException("give the path of a file inside the artifact");
        if (path.Contains('\\') || path.Contains('\0') || path.Contains(':'))
            throw new WorkflowException($"'{path}': backslashes, colons and NUL are not allowed in artifact file paths");
        if (path.StartsWith('/') || Path.IsPathRooted(path))
            throw new WorkflowException($"'{path}': absolute paths are refused; give a path relative to the artifact folder");
        var segments = path.Split('/');
        if (segments.Any(s => s is "" or "." or ".."))
            throw new WorkflowException($"'{path}': '..', '.' and empty segments are refused; the file must lie inside the artifact folder");
        if (!artifact.IsFolder || !Directory.Exists(artifact.Path))
            throw new WorkflowNotFoundException($"artifact {artifact.Hash[..12]} is not a folder on disk");

        var root = Path.GetFullPath(artifact.Path);
        var current = root;
        if (new DirectoryInfo(root).LinkTarget is not null)
            throw new WorkflowException($"artifact {artifact.Hash[..12]}: its folder is a symbolic link; refused");
        foreach (var segment in segments)
        {
            current = Path.Combine(current, segment);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (!info.Exists)
                throw new WorkflowNotFoundException($"artifact {artifact.Hash[..12]} has no file '{path}'");
            if (info.LinkTarget is not null)
                throw new WorkflowException($"'{path}': symbolic links are not served");
        }
        var full = Path.GetFullPath(current);
        if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new WorkflowException($"'{path}' leaves the artifact folder; refused");
        if (!File.Exists(full))
            throw new WorkflowNotFoundException($"'{path}' in artifact {artifact.Hash[..12]} is a folder, not a file");
        return full;
    }
}
