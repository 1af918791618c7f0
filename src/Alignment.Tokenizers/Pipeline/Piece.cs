namespace Alignment.Tokenizers.Pipeline;

/// <summary>
/// One piece of text on its way through the pre-tokenizers to the model: a slice of a string or
/// buffer (no copy), plus where it stands in the input.
/// </summary>
/// <param name="Text">The characters of the piece.</param>
/// <param name="IsContinuation">
/// The piece continues text the caller encoded just before it (<see cref="Tokenizer.EncodePieces"/>),
/// so steps that mark the start of a text (a ▁ or space prefix) leave it alone.
/// </param>
/// <param name="AtOrigin">The piece starts at offset 0 of the original input (Metaspace <c>prepend_scheme: first</c>).</param>
internal readonly record struct Piece(ReadOnlyMemory<char> Text, bool IsContinuation, bool AtOrigin)
{
    /// <summary>A sub-slice of this piece; only a slice that starts where this piece starts keeps its flags.</summary>
    public Piece Slice(int start, int length) =>
        new(Text.Slice(start, length), IsContinuation && start == 0, AtOrigin && start == 0);
}
