using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Alignment.Tokenizers;

/// <summary>A text file that is not valid UTF-8. The message names the file, the line and the byte offset of the first bad byte.</summary>
public sealed class InvalidUtf8Exception(string path, int line, long offset, byte value)
    : IOException($"{path}:{line}: is not valid UTF-8 (byte 0x{value:X2} at byte offset {offset}); save the file as UTF-8")
{
    public string Path { get; } = path;
    public int Line { get; } = line;
    public long Offset { get; } = offset;
}

/// <summary>
/// Reads text files as strict UTF-8: bytes that are not UTF-8 are refused with their line and offset instead of being
/// decoded to U+FFFD, which would silently change the text a model is trained on or a tokenizer encodes. (The labeling
/// store's importer, which depends on nothing of ours, does the same check for its files.)
/// </summary>
public static class Utf8Text
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The whole file as text, without a leading byte-order mark.</summary>
    /// <exception cref="InvalidUtf8Exception">The file holds bytes that are not UTF-8.</exception>
    public static string ReadAllText(string path) => Decode(File.ReadAllBytes(path), path);

    /// <summary>The file's lines (split at \n, a trailing \r removed).</summary>
    public static string[] ReadAllLines(string path)
    {
        string text = ReadAllText(path);
        if (text.Length == 0) return [];
        var lines = text.Split('\n');
        if (lines[^1].Length == 0) lines = lines[..^1];
        for (int i = 0; i < lines.Length; i++) lines[i] = lines[i].TrimEnd('\r');
        return lines;
    }

    /// <summary><paramref name="bytes"/> as text; <paramref name="name"/> names them in the error.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string name)
    {
        if (!Utf8.IsValid(bytes))
        {
            int at = 0;
            while (Rune.DecodeFromUtf8(bytes[at..], out _, out int length) == OperationStatus.Done) at += length;
            throw new InvalidUtf8Exception(name, 1 + bytes[..at].Count((byte)'\n'), at, bytes[at]);
        }
        if (bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        return Strict.GetString(bytes);
    }
}
