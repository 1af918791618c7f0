using System.Runtime.InteropServices;

namespace Alignment.Tokenizers.Pipeline;

/// <summary>
/// Records, for the ids of one stretch of input text, the range of the input each came from: the word
/// itself when it is a slice of <paramref name="source"/> (the stretch as the input holds it), otherwise the
/// whole stretch (normalization or a pre-tokenizer rewrote the text, so characters no longer line up).
/// </summary>
/// <param name="start">Where the stretch starts in the input.</param>
internal sealed class OffsetSink(List<Range> offsets, string? source, int start, int length)
{
    public void Add(ReadOnlyMemory<char> word, int count)
    {
        var range = source is not null && MemoryMarshal.TryGetString(word, out string? text, out int at, out int n) && ReferenceEquals(text, source)
            ? (start + at)..(start + at + n)
            : start..(start + length);
        for (int i = 0; i < count; i++) offsets.Add(range);
    }
}
