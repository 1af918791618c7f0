namespace Alignment.Tokenizers;

/// <summary>
/// An entry of tokenizer.json's <c>added_tokens</c>: matched in the raw text before any splitting.
/// </summary>
/// <param name="Id">Its id.</param>
/// <param name="Content">The exact text it matches.</param>
/// <param name="Special">Control token (BOS, EOS, ChatML markers): dropped by <c>skipSpecialTokens</c>.</param>
/// <param name="SingleWord">Matches only when not glued to a word character on either side.</param>
/// <param name="LStrip">Swallows the whitespace on its left.</param>
/// <param name="RStrip">Swallows the whitespace on its right.</param>
/// <param name="Normalized">Matched in the normalized text instead of the raw text.</param>
public sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord = false, bool LStrip = false, bool RStrip = false, bool Normalized = false);
