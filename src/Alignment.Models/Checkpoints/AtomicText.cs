namespace Alignment.Models.Checkpoints;

/// <summary>Writes a text file through a temporary file in the same folder and a rename, so a reader never sees it
/// half-written.</summary>
internal static class AtomicText
{
    public static void Write(string path, string text)
    {
        string tmp = path + $".{Guid.NewGuid():N}.tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
