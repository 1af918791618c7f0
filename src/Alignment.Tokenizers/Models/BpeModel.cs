using System.Text;
using Alignment.Tokenizers.Json;

namespace Alignment.Tokenizers.Models;

/// <summary>
/// tokenizer.json <c>model</c> of type BPE: a vocabulary, ranked merges, and the SentencePiece-era
/// options (<c>byte_fallback</c>, <c>unk_token</c>/<c>fuse_unk</c>, <c>continuing_subword_prefix</c>,
/// <c>end_of_word_suffix</c>) and Llama 3's <c>ignore_merges</c>. Results are cached per word.
/// </summary>
internal sealed class BpeModel : IWordModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly Dictionary<long, Merge> _merges;
    private readonly WordCache _cache = new();
    private readonly int[] _byteFallbackIds;
    private readonly int _unkId;
    private readonly bool _cutBeforeMetaspace;


    public BpeModel(
        Dictionary<string, int> vocab,
        IReadOnlyList<(string Left, string Right)> merges,
        string? unkToken = null,
        bool fuseUnk = false,
        bool byteFallback = false,
        bool ignoreMerges = false,
        string? continuingSubwordPrefix = null,
        string? endOfWordSuffix = null,
        Func<int, string, TokenizerException>? mergeError = null)
    {
        _vocab = vocab;
        Merges = merges;
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        FuseUnk = fuseUnk;
        ByteFallback = byteFallback;
        IgnoreMerges = ignoreMerges;
        ContinuingSubwordPrefix = string.IsNullOrEmpty(continuingSubwordPrefix) ? null : continuingSubwordPrefix;
        EndOfWordSuffix = string.IsNullOrEmpty(endOfWordSuffix) ? null : endOfWordSuffix;
        UnkToken = unkToken;
        mergeError ??= (i, m) => new TokenizerException($"merges[{i}]: {m}");

        _unkId = -1;
        if (unkToken is not null && !vocab.TryGetValue(unkToken, out _unkId))
            _unkId = -1;

        int prefixLength = ContinuingSubwordPrefix?.Length ?? 0;
        _merges = new Dictionary<long, Merge>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!vocab.TryGetValue(left, out int a)) throw mergeError(rank, $"token '{left}' is not in the vocabulary");
            if (!vocab.TryGetValue(right, out int b)) throw mergeError(rank, $"token '{right}' is not in the vocabulary");
            string merged = left + (prefixLength > 0 && right.StartsWith(ContinuingSubwordPrefix!, StringComparison.Ordinal) ? right[prefixLength..] : right);
            if (!vocab.TryGetValue(merged, out int id)) throw mergeError(rank, $"merged token '{merged}' is not in the vocabulary");
            _merges.TryAdd(BpeMerger.Key(a, b), new Merge(rank, id));
        }

        _cutBeforeMetaspace = MetaspaceCut.Applies(vocab.Keys);

        _byteFallbackIds = new int[256];
        for (int b = 0; b < 256; b++)
            _byteFallbackIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
    }

    public TokenizerPath Path => TokenizerPath.OwnBpe;
    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    /// <summary>The merges in rank order, as tokenizer.json lists them.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    public int MergeCount => _merges.Count;
    public string? UnkToken { get; }
    public bool FuseUnk { get; }
    public bool ByteFallback { get; }
    public bool IgnoreMerges { get; }
    public string? ContinuingSubwordPrefix { get; }
    public string? EndOfWordSuffix { get; }

    public static BpeModel Load(JsonCursor json)
    {
        var type = json.Child("type");
        if (type.GetString() != "BPE") throw type.Unsupported(type.GetString(), "BPE");
        if (!json.Optional("dropout").IsNull)
        {
            var dropout = json.Child("dropout");
            if (dropout.Element.ValueKind != System.Text.Json.JsonValueKind.Number || dropout.Element.GetDouble() != 0)
                throw dropout.Error("BPE dropout is not supported (tokenization must be deterministic)");
        }

        var vocabJson = json.Child("vocab");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in vocabJson.Properties())
            vocab[token] = id.GetInt();

        var mergesJson = json.Child("merges");
        var merges = new List<(string, string)>();
        foreach (var item in mergesJson.Items())
        {
            if (item.Element.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                // Legacy "a b" form: exactly one space separates the two tokens.
                string line = item.GetString();
                int space = line.IndexOf(' ');
                if (space < 0 || line.IndexOf(' ', space + 1) >= 0)
                    throw item.Error($"must be two tokens separated by one space (found \"{line}\")");
                merges.Add((line[..space], line[(space + 1)..]));
            }
            else
            {
                var parts = item.Items().ToArray();
                if (parts.Length != 2) throw item.Error("must be a pair [left, right]");
                merges.Add((parts[0].GetString(), parts[1].GetString()));
            }
        }

        string? unk = json.Optional("unk_token").GetStringOrNull();
        return new BpeModel(
            vocab,
            merges,
            unk,
            json.Optional("fuse_unk").GetBool(false),
            json.Optional("byte_fallback").GetBool(false),
            json.Optional("ignore_merges").GetBool(false),
            json.Optional("continuing_subword_prefix").GetStringOrNull(),
            json.Optional("end_of_word_suffix").GetStringOrNull(),
            (i, message) => new TokenizerException($"{mergesJson.File}: {mergesJson.Path}[{i}] {message}"));
    }

    /// <summary>Appends the ids of one pre-tokenized word to <paramref name="output"/>.</summary>
    public void Tokenize(ReadOnlySpan<char> word, List<int> output)
    {
        if (!_cutBeforeMetaspace)
        {
            TokenizeWord(word, output);
            return;
        }
        MetaspaceCut.Encode(word, output, TokenizeWord);
    }

    private void TokenizeWord(ReadOnlySpan<char> word, List<int> output)
    {
        if (word.IsEmpty) return;
        if (_cache.TryAppend(word, output)) return;
        if (IgnoreMerges && _vocabBySpan.TryGetValue(word, out int whole))
        {
            output.Add(whole);
            return;
        }

        _cache.AddAndAppend(word, Encode(word), output);
    }

    private int[] Encode(ReadOnlySpan<char> word)
    {
        // Initial symbols: one per code point (with prefix/suffix), else its bytes, else unk.
        var symbols = new List<int>(word.Length);
        int pendingUnk = -1;
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < word.Length;)
        {
            int width = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            var ch = word.Slice(i, width);
            bool first = i == 0, last = i + width == word.Length;
            i += width;

            if (TryLookupSymbol(ch, first, last, out int id))
            {
                if (pendingUnk >= 0) { symbols.Add(pendingUnk); pendingUnk = -1; }
                symbols.Add(id);
                continue;
            }
            if (ByteFallback && TryAddBytes(ch, symbols, utf8, ref pendingUnk))
                continue;
            if (_unkId >= 0)
            {
                if (pendingUnk >= 0 && !FuseUnk) symbols.Add(pendingUnk);
                pendingUnk = _unkId;
            }
        }
        if (pendingUnk >= 0) symbols.Add(pendingUnk);

        var array = symbols.ToArray();
        int count = BpeMerger.MergeAll(array, array.Length, _merges);
        return count == array.Length ? array : array[..count];
    }

    private bool TryLookupSymbol(ReadOnlySpan<char> ch, bool first, bool last, out int id)
    {
        if (ContinuingSubwordPrefix is null && EndOfWordSuffix is null)
            return _vocabBySpan.TryGetValue(ch, out id);
        string symbol = (first ? "" : ContinuingSubwordPrefix ?? "") + ch.ToString() + (last ? EndOfWordSuffix ?? "" : "");
        return _vocab.TryGetValue(symbol, out id);
    }

    private bool TryAddBytes(ReadOnlySpan<char> ch, List<int> symbols, Span<byte> utf8, ref int pendingUnk)
    {
        int n = Encoding.UTF8.GetBytes(ch, utf8);
        for (int b = 0; b < n; b++)
            if (_byteFallbackIds[utf8[b]] < 0) return false;
        if (pendingUnk >= 0) { symbols.Add(pendingUnk); pendingUnk = -1; }
        for (int b = 0; b < n; b++)
            symbols.Add(_byteFallbackIds[utf8[b]]);
        return true;
    }
}
