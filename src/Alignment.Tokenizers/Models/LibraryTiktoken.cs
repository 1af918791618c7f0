using System.Text;
using Alignment.Tokenizers.Pipeline;
using Microsoft.ML.Tokenizers;

namespace Alignment.Tokenizers.Models;

/// <summary>
/// A tiktoken file (<c>cl100k_base.tiktoken</c>: one "base64-token rank" line per token) encoded by
/// Microsoft.ML.Tokenizers' <see cref="TiktokenTokenizer"/>. It is given words already split by the encoding's
/// pattern (our <see cref="PatternRegex"/>, which matches code points as tiktoken's regex does; the library's regex
/// sees a character outside the BMP as two surrogates, so "𝐇𝐞𝐥𝐥𝐨 math bold 𝟏𝟐" splits differently under
/// cl100k_base). Tokens are named in GPT-2's byte alphabet, as in Hugging Face's conversions of tiktoken files,
/// so the ByteLevel decoder decodes them. Words' ids are cached as in the other paths.
/// </summary>
internal sealed class LibraryTiktoken : IWordModel
{
    private readonly TiktokenTokenizer _tiktoken;
    private readonly WordCache _cache = new();

    private LibraryTiktoken(TiktokenTokenizer tiktoken, Dictionary<string, int> vocab)
    {
        _tiktoken = tiktoken;
        Vocab = vocab;
    }

    public TokenizerPath Path => TokenizerPath.LibraryTiktoken;
    public IReadOnlyDictionary<string, int> Vocab { get; }
    public string? UnkToken => null;

    /// <summary>Reads a .tiktoken file; a malformed line is an error naming the file and line.</summary>
    public static LibraryTiktoken Load(string file, TiktokenEncoding encoding)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (IOException e)
        {
            throw new TokenizerException($"{file}: cannot read: {e.Message}", e);
        }
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var ranks = new HashSet<int>();
        int lineNumber = 0;
        using (var reader = new StringReader(Utf8Text.Decode(bytes, file)))
        {
            while (reader.ReadLine() is { } line)
            {
                lineNumber++;
                if (line.Length == 0) continue;
                int space = line.IndexOf(' ');
                byte[] token;
                try
                {
                    token = space > 0 ? Convert.FromBase64String(line[..space]) : throw new FormatException();
                }
                catch (FormatException)
                {
                    throw new TokenizerException($"{file}: line {lineNumber}: expected \"<base64 token> <rank>\", got \"{Clip(line)}\"");
                }
                if (!int.TryParse(line.AsSpan(space + 1), System.Globalization.NumberStyles.None, null, out int rank))
                    throw new TokenizerException($"{file}: line {lineNumber}: the rank \"{Clip(line[(space + 1)..])}\" is not a non-negative integer");
                if (token.Length == 0) throw new TokenizerException($"{file}: line {lineNumber}: empty token");
                if (!ranks.Add(rank)) throw new TokenizerException($"{file}: line {lineNumber}: rank {rank} appears twice");
                var name = new StringBuilder(token.Length);
                foreach (byte b in token) name.Append(ByteLevelAlphabet.ByteToChar[b]);
                if (!vocab.TryAdd(name.ToString(), rank)) throw new TokenizerException($"{file}: line {lineNumber}: token \"{line[..space]}\" appears twice");
            }
        }
        if (vocab.Count == 0) throw new TokenizerException($"{file}: no tokens");
        for (int b = 0; b < 256; b++)
            if (!vocab.ContainsKey(ByteLevelAlphabet.ByteToChar[b].ToString()))
                throw new TokenizerException($"{file}: the single byte 0x{b:X2} has no token (tiktoken encodings hold all 256 bytes)");
        foreach (var (content, id) in encoding.SpecialTokens)
            if (ranks.Contains(id)) throw new TokenizerException($"{file}: rank {id} is also {encoding.Name}'s special token {content}");
        using var stream = new MemoryStream(bytes, writable: false);
        var tiktoken = TiktokenTokenizer.Create(stream, preTokenizer: null, normalizer: null, encoding.SpecialTokens);
        return new LibraryTiktoken(tiktoken, vocab);
    }

    public void Tokenize(ReadOnlySpan<char> word, List<int> output)
    {
        if (word.IsEmpty) return;
        if (_cache.TryAppend(word, output)) return;
        _cache.AddAndAppend(word, _tiktoken.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false).ToArray(), output);
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
