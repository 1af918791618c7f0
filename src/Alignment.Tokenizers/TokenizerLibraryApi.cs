using System.Buffers;
using Ml = Microsoft.ML.Tokenizers;

namespace Alignment.Tokenizers;

/// <summary>
/// The Microsoft.ML.Tokenizers API. It encodes as Hugging Face's <c>encode</c> does by default, with special tokens
/// (<c>Encode(text, addSpecialTokens: true)</c>: Llama's BOS), and decodes as <c>Decode(ids)</c>. A token's
/// <see cref="Ml.EncodedToken.Offset"/> is a range of the input text: an added token's own characters, the word it
/// came from where normalization left the text unchanged, else the whole stretch between added tokens; so
/// <c>GetIndexByTokenCount</c> cuts only between such ranges, and <c>NormalizedText</c> is always null.
/// </summary>
public sealed partial class Tokenizer
{
    protected override Ml.EncodeResults<Ml.EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, Ml.EncodeSettings settings)
    {
        var (ids, offsets, input) = EncodeWithOffsets(text, textSpan, settings);
        int count = FittingCount(offsets, settings.MaxTokenCount);
        var tokens = new List<Ml.EncodedToken>(count);
        for (int i = 0; i < count; i++)
            tokens.Add(new Ml.EncodedToken(ids[i], IdToToken(ids[i])!, offsets[i]));
        return new Ml.EncodeResults<Ml.EncodedToken> { Tokens = tokens, NormalizedText = null, CharsConsumed = Consumed(offsets, count, input.Length) };
    }

    protected override Ml.EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, Ml.EncodeSettings settings)
    {
        var (ids, offsets, input) = EncodeWithOffsets(text, textSpan, settings);
        int count = FittingCount(offsets, settings.MaxTokenCount);
        return new Ml.EncodeResults<int> { Tokens = ids.GetRange(0, count), NormalizedText = null, CharsConsumed = Consumed(offsets, count, input.Length) };
    }

    protected override int CountTokens(string? text, ReadOnlySpan<char> textSpan, Ml.EncodeSettings settings)
    {
        var (ids, offsets, _) = EncodeWithOffsets(text, textSpan, settings);
        return settings.MaxTokenCount < ids.Count ? FittingCount(offsets, settings.MaxTokenCount) : ids.Count;
    }

    protected override int GetIndexByTokenCount(string? text, ReadOnlySpan<char> textSpan, Ml.EncodeSettings settings, bool fromEnd,
                                                out string? normalizedText, out int tokenCount)
    {
        normalizedText = null;
        var (_, offsets, input) = EncodeWithOffsets(text, textSpan, settings);
        int max = settings.MaxTokenCount;
        if (max <= 0) throw new ArgumentOutOfRangeException(nameof(settings), "MaxTokenCount must be positive");
        if (!fromEnd)
        {
            tokenCount = FittingCount(offsets, max);
            return Consumed(offsets, tokenCount, input.Length);
        }
        // The smallest j with count - j <= max that starts a range.
        int total = offsets.Count;
        for (int j = Math.Max(0, total - max); j <= total; j++)
        {
            if (j == total) { tokenCount = 0; return input.Length; }
            if (j == 0 || offsets[j].Start.Value >= offsets[j - 1].End.Value)
            {
                tokenCount = total - j;
                return offsets[j].Start.Value;
            }
        }
        tokenCount = 0;
        return input.Length;
    }

    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return Decode(ids.ToArray().AsSpan());
    }

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var all = ids.ToArray();
        string text = Decode(all.AsSpan());
        if (text.Length <= destination.Length)
        {
            text.CopyTo(destination);
            (idsConsumed, charsWritten) = (all.Length, text.Length);
            return OperationStatus.Done;
        }
        // The longest prefix of the ids whose text fits.
        (idsConsumed, charsWritten) = (0, 0);
        for (int k = 1; k < all.Length; k++)
        {
            string prefix = Decode(all.AsSpan(0, k));
            if (prefix.Length > destination.Length) break;
            (idsConsumed, charsWritten) = (k, prefix.Length);
        }
        Decode(all.AsSpan(0, idsConsumed)).CopyTo(destination);
        return OperationStatus.DestinationTooSmall;
    }

    private (List<int> Ids, List<Range> Offsets, string Input) EncodeWithOffsets(string? text, ReadOnlySpan<char> textSpan, Ml.EncodeSettings settings)
    {
        if (!settings.ConsiderPreTokenization)
            throw new NotSupportedException("ConsiderPreTokenization = false is not supported: the pre-tokenizer is part of how this tokenizer reproduces Hugging Face's ids");
        string input = text ?? textSpan.ToString();
        var ids = new List<int>(input.Length / 3 + 4);
        var offsets = new List<Range>(ids.Capacity);
        EncodeText(input, continuation: false, atOrigin: true, normalize: settings.ConsiderNormalization, ids, offsets);
        if (_postProcessor is null) return (ids, offsets, input);

        var processed = _postProcessor.Process(ids);
        // A single sequence's post-processing adds ids in front and behind; those get empty ranges at either end.
        int front = 0;
        while (front + ids.Count <= processed.Count && !processed.Skip(front).Take(ids.Count).SequenceEqual(ids)) front++;
        var processedOffsets = new List<Range>(processed.Count);
        for (int i = 0; i < front; i++) processedOffsets.Add(0..0);
        processedOffsets.AddRange(offsets);
        while (processedOffsets.Count < processed.Count) processedOffsets.Add(input.Length..input.Length);
        return (processed, processedOffsets, input);
    }

    /// <summary>The most leading tokens, at most <paramref name="max"/>, that end where a range ends (no word is cut).</summary>
    private static int FittingCount(List<Range> offsets, int max)
    {
        if (max >= offsets.Count) return offsets.Count;
        for (int k = max; k > 0; k--)
            if (offsets[k].Start.Value >= offsets[k - 1].End.Value) return k;
        return 0;
    }

    private static int Consumed(List<Range> offsets, int count, int length) =>
        count == offsets.Count ? length : count == 0 ? 0 : offsets[count - 1].End.Value;
}
