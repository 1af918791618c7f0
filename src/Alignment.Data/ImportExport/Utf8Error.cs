using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Alignment.Data.ImportExport;

/// <summary>Where a byte sequence stops being valid UTF-8, for errors that name the line and byte instead of decoding bad bytes to U+FFFD.</summary>
/// <param name="Line">The 1-based line holding the first invalid byte.</param>
/// <param name="Offset">The 0-based byte offset of that byte in the whole file.</param>
/// <param name="Byte">Its value.</param>
public sealed record Utf8Error(int Line, long Offset, byte Byte)
{
    /// <summary>"is not valid UTF-8 (byte 0xFF at byte offset 12)".</summary>
    public string Problem => $"is not valid UTF-8 (byte 0x{Byte:X2} at byte offset {Offset}); save the file as UTF-8";

    /// <summary>The first invalid byte of <paramref name="bytes"/>, or null when all of it is valid UTF-8.</summary>
    public static Utf8Error? Find(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes)) return null;
        int at = 0;
        while (Rune.DecodeFromUtf8(bytes[at..], out _, out int length) == OperationStatus.Done) at += length;
        return new Utf8Error(1 + bytes[..at].Count((byte)'\n'), at, bytes[at]);
    }
}
