using System.Security.Cryptography;
using System.Text;

namespace Alignment.Workflows.Artifacts;

/// <summary>
/// Content hashes of artifacts: a file's is the sha256 of its bytes; a folder's is the sha256 of its manifest, the
/// UTF-8 text with one line per file, <c>&lt;sha256 of the file&gt;  &lt;relative path with '/'&gt;\n</c> (the format of
/// <c>sha256sum</c>), sorted by path in ordinal order. Empty folders do not count; names and bytes do, times and
/// permissions do not. All hashes are lowercase hex.
/// </summary>
public static class ContentHasher
{
    /// <summary>sha256 of a file's bytes.</summary>
    public static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>sha256 of bytes.</summary>
    public static string HashBytes(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>sha256 of text as UTF-8.</summary>
    public static string HashText(string text) => HashBytes(Encoding.UTF8.GetBytes(text));

    /// <summary>The manifest text of a folder (see the class summary).</summary>
    public static string Manifest(string folder)
    {
        var root = Path.GetFullPath(folder);
        var lines = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => (Relative: Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'), Full: f))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .Select(f => $"{HashFile(f.Full)}  {f.Relative}\n");
        return string.Concat(lines);
    }

    /// <summary>sha256 of a folder's manifest.</summary>
    public static string HashFolder(string folder) => HashText(Manifest(folder));

    /// <summary>The hash of a file or folder.</summary>
    public static string Hash(string path) => Directory.Exists(path) ? HashFolder(path) : HashFile(path);

    /// <summary>Whether <paramref name="text"/> looks like a full sha256 (64 lowercase hex digits).</summary>
    public static bool IsSha256(string text) => text.Length == 64 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
