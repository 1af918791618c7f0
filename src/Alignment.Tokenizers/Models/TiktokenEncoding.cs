namespace Alignment.Tokenizers.Models;

/// <summary>
/// What a <c>.tiktoken</c> file does not hold: the split pattern and special tokens of OpenAI's encodings, as
/// tiktoken's <c>tiktoken_ext/openai_public.py</c> defines them. The file's name says which encoding it is.
/// </summary>
internal sealed record TiktokenEncoding(string Name, string Pattern, IReadOnlyDictionary<string, int> SpecialTokens)
{
    public static readonly TiktokenEncoding Cl100kBase = new(
        "cl100k_base",
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        new Dictionary<string, int>
        {
            ["<|endoftext|>"] = 100257,
            ["<|fim_prefix|>"] = 100258,
            ["<|fim_middle|>"] = 100259,
            ["<|fim_suffix|>"] = 100260,
            ["<|endofprompt|>"] = 100276,
        });

    public static readonly TiktokenEncoding O200kBase = new(
        "o200k_base",
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
        + @"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
        + @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        new Dictionary<string, int>
        {
            ["<|endoftext|>"] = 199999,
            ["<|endofprompt|>"] = 200018,
        });

    public static IReadOnlyList<TiktokenEncoding> Known { get; } = [Cl100kBase, O200kBase];

    /// <summary>The encoding a file is named after (<c>cl100k_base.tiktoken</c>), or an error naming the known ones.</summary>
    public static TiktokenEncoding ForFile(string file)
    {
        string name = System.IO.Path.GetFileNameWithoutExtension(file);
        return Known.FirstOrDefault(e => e.Name == name)
            ?? throw new TokenizerException(
                $"{file}: unknown tiktoken encoding '{name}' (the file name says which encoding it is, for its split pattern and special tokens; known: {string.Join(", ", Known.Select(e => e.Name + ".tiktoken"))})");
    }
}
