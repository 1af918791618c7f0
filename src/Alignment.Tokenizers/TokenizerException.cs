namespace Alignment.Tokenizers;

/// <summary>
/// A tokenizer file that cannot be loaded (unsupported component, malformed field: the message names
/// the file and the JSON path), or an input the tokenizer cannot handle (an id outside the vocabulary).
/// </summary>
public sealed class TokenizerException : Exception
{
    public TokenizerException(string message) : base(message) { }

    public TokenizerException(string message, Exception inner) : base(message, inner) { }
}
