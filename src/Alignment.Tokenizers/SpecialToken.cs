namespace Alignment.Tokenizers;

/// <summary>A special token named by tokenizer_config.json (BOS, EOS, PAD, UNK) and its id.</summary>
public readonly record struct SpecialToken(string Content, int Id)
{
    public override string ToString() => $"{Content} ({Id})";
}
