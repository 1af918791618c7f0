using Alignment.Tokenizers.Decoders;
using Alignment.Tokenizers.Models;
using Alignment.Tokenizers.Normalizers;
using Alignment.Tokenizers.Pipeline;
using Alignment.Tokenizers.PostProcessors;
using Alignment.Tokenizers.PreTokenizers;

namespace Alignment.Tokenizers;

/// <summary>
/// A Hugging Face tokenizer (tokenizer.json, plus tokenizer_config.json when present) with BPE
/// models, byte-level (GPT-2, Llama 3, Qwen) or SentencePiece-style (Llama 2, Mistral), and a
/// Microsoft.ML.Tokenizers <see cref="Microsoft.ML.Tokenizers.Tokenizer"/> (EncodeToIds, CountTokens,
/// GetIndexByTokenCount, Decode). Produces the same ids as Hugging Face's tokenizers. Thread-safe.
/// </summary>
/// <remarks>
/// Encoding follows Hugging Face's pipeline: added tokens are cut out of the raw text first, each
/// stretch between them is normalized, pre-tokenized into pieces and each piece is encoded by the
/// model (<see cref="Path"/> says whose); <c>addSpecialTokens</c> then applies the post-processor.
/// tokenizer.json's <c>truncation</c> and <c>padding</c> are not applied: callers decide lengths.
/// </remarks>
public sealed partial class Tokenizer : Microsoft.ML.Tokenizers.Tokenizer
{
    private readonly Normalizer? _normalizer;
    private readonly PreTokenizer? _preTokenizer;
    private readonly IWordModel _model;
    private readonly PostProcessor? _postProcessor;
    private readonly Decoder? _decoder;
    private readonly AddedTokenMatcher _rawMatcher;
    private readonly AddedTokenMatcher _normalizedMatcher;
    private readonly string?[] _idToToken;
    private readonly Dictionary<string, AddedToken> _addedByContent;
    private readonly HashSet<string> _addedContents;
    private readonly HashSet<int> _specialIds;

    private Tokenizer(
        Normalizer? normalizer,
        PreTokenizer? preTokenizer,
        IWordModel model,
        PostProcessor? postProcessor,
        Decoder? decoder,
        IReadOnlyList<AddedToken> addedTokens,
        TokenizerConfig config)
    {
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _model = model;
        _decoder = decoder;
        AddedTokens = addedTokens;
        Config = config;

        _addedByContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var t in addedTokens) _addedByContent[t.Content] = t;
        _addedContents = new HashSet<string>(_addedByContent.Keys, StringComparer.Ordinal);
        _rawMatcher = new AddedTokenMatcher(addedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        _normalizedMatcher = new AddedTokenMatcher(addedTokens.Where(t => t.Normalized)
            .Select(t => (normalizer?.Normalize(t.Content, isContinuation: false) ?? t.Content, t)));

        int size = 0;
        foreach (var id in model.Vocab.Values) size = Math.Max(size, id + 1);
        foreach (var t in addedTokens) size = Math.Max(size, t.Id + 1);
        _idToToken = new string?[size];
        foreach (var (token, id) in model.Vocab) _idToToken[id] = token;
        foreach (var t in addedTokens) _idToToken[t.Id] = t.Content;

        _specialIds = addedTokens.Where(t => t.Special).Select(t => t.Id).ToHashSet();
        foreach (var name in config.AdditionalSpecialTokens)
            if (TokenToId(name) is int id) _specialIds.Add(id);

        Bos = Resolve(config.BosToken);
        Eos = Resolve(config.EosToken);
        Pad = Resolve(config.PadToken);
        Unk = Resolve(config.UnkToken ?? model.UnkToken);

        // transformers lets tokenizer_config.json's add_bos_token / add_eos_token decide what
        // add_special_tokens adds; otherwise tokenizer.json's post-processor does.
        _postProcessor = config.AddBosToken is not null || config.AddEosToken is not null
            ? new WrapProcessing(
                config.AddBosToken == true && Bos is { } b ? [b.Id] : [],
                config.AddEosToken == true && Eos is { } e ? [e.Id] : [])
            : postProcessor;
    }

    /// <summary>Which code encodes words: Microsoft.ML.Tokenizers' BPE or our own.</summary>
    public TokenizerPath EncodingPath => _model.Path;

    /// <summary>Ids run from 0 to VocabSize - 1 (the model's vocabulary and the added tokens).</summary>
    public int VocabSize => _idToToken.Length;

    public TokenizerConfig Config { get; }

    /// <summary>tokenizer.json's <c>added_tokens</c>.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    public SpecialToken? Bos { get; }
    public SpecialToken? Eos { get; }
    public SpecialToken? Pad { get; }
    public SpecialToken? Unk { get; }

    /// <summary>Whether <c>addSpecialTokens</c> puts a BOS in front of the text.</summary>
    public bool AddsBos => _postProcessor is WrapProcessing w && Bos is { } b && w.Before.Contains(b.Id);

    public int? TokenToId(string token) =>
        _addedByContent.TryGetValue(token, out var added) ? added.Id
        : _model.Vocab.TryGetValue(token, out int id) ? id
        : null;

    public string? IdToToken(int id) => id >= 0 && id < _idToToken.Length ? _idToToken[id] : null;

    /// <summary>Whether the id is a special token (dropped by <c>skipSpecialTokens</c>).</summary>
    public bool IsSpecial(int id) => _specialIds.Contains(id);

    /// <summary>Encodes text. Added tokens written in the text (<c>&lt;|im_start|&gt;</c>, <c>&lt;/s&gt;</c>) become their ids.</summary>
    /// <param name="addSpecialTokens">Apply the post-processor (Llama's BOS), as Hugging Face's <c>add_special_tokens</c>.</param>
    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        EncodeText(text, continuation: false, atOrigin: true, normalize: true, ids, offsets: null);
        if (addSpecialTokens && _postProcessor is not null) ids = _postProcessor.Process(ids);
        return ids.ToArray();
    }

    /// <summary>
    /// Encodes consecutive pieces of one text (a prompt, then its answer) so that no token spans two
    /// pieces; result[i] holds the ids of pieces[i]. A piece that continues text gets no ▁ or space
    /// prefix; one that starts the text or follows an added token is treated as
    /// <see cref="Encode"/> treats text there. So the concatenated result equals
    /// <c>Encode(string.Concat(pieces))</c> whenever a piece boundary falls where the pre-tokenizer
    /// cuts anyway, and otherwise differs only in not merging across the boundary.
    /// </summary>
    public int[][] EncodePieces(IReadOnlyList<string> pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        var result = new int[pieces.Count][];
        var ids = new List<int>();
        bool atStart = true, afterAddedToken = false;
        for (int i = 0; i < pieces.Count; i++)
        {
            ids.Clear();
            string piece = pieces[i] ?? throw new ArgumentException($"pieces[{i}] is null", nameof(pieces));
            bool endsWithAdded = EncodeText(piece, continuation: !atStart && !afterAddedToken, atOrigin: atStart, normalize: true, ids, offsets: null);
            result[i] = ids.ToArray();
            if (piece.Length == 0) continue;
            atStart = false;
            afterAddedToken = endsWithAdded;
        }
        return result;
    }

    /// <summary>Decodes ids to text. An id outside the vocabulary is an error.</summary>
    /// <param name="skipSpecialTokens">Leave out special tokens (BOS, EOS, ChatML markers).</param>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>(ids.Length);
        foreach (int id in ids)
        {
            string? token = IdToToken(id)
                ?? throw new TokenizerException($"Decode: token id {id} is not in the vocabulary (ids run from 0 to {VocabSize - 1})");
            if (skipSpecialTokens && _specialIds.Contains(id)) continue;
            tokens.Add(token);
        }
        if (_decoder is null) return string.Join(" ", tokens);
        return string.Concat(_decoder.DecodeChain(tokens, _addedContents));
    }

    /// <summary>Runs the pipeline on one text; returns whether its last segment was an added token.</summary>
    /// <param name="offsets">
    /// When given, receives one range of <paramref name="text"/> per id: an added token's own characters; the
    /// pre-tokenized word a token came from when normalization left its stretch unchanged; else the whole stretch.
    /// </param>
    private bool EncodeText(string text, bool continuation, bool atOrigin, bool normalize, List<int> ids, List<Range>? offsets)
    {
        var segments = new List<Segment>();
        _rawMatcher.Split(text, segments);
        bool lastAdded = false;
        foreach (var seg in segments)
        {
            if (seg.Token is not null)
            {
                ids.Add(seg.Token.Id);
                offsets?.Add(seg.Start..(seg.Start + seg.Length));
                lastAdded = true;
                continue;
            }
            lastAdded = false;
            bool cont = continuation && seg.Start == 0;
            bool origin = atOrigin && seg.Start == 0;
            string stretch = text.Substring(seg.Start, seg.Length);
            string normalized = normalize ? _normalizer?.Normalize(stretch, cont) ?? stretch : stretch;
            // Offsets of words are known when they are slices of the unchanged stretch.
            var at = offsets is null ? null : new OffsetSink(offsets, ReferenceEquals(normalized, stretch) ? stretch : null, seg.Start, seg.Length);
            if (_normalizedMatcher.IsEmpty)
            {
                EncodeWords(new Piece(normalized.AsMemory(), cont, origin), ids, at);
                continue;
            }
            var inner = new List<Segment>();
            _normalizedMatcher.Split(normalized, inner);
            foreach (var sub in inner)
            {
                if (sub.Token is not null)
                {
                    ids.Add(sub.Token.Id);
                    at?.Add(normalized.AsMemory(sub.Start, sub.Length), 1);
                    lastAdded = true;
                    continue;
                }
                lastAdded = false;
                EncodeWords(new Piece(normalized.AsMemory(sub.Start, sub.Length), cont && sub.Start == 0, origin && sub.Start == 0), ids, at);
            }
        }
        return lastAdded;
    }

    private void EncodeWords(Piece text, List<int> ids, OffsetSink? offsets)
    {
        if (text.Text.IsEmpty) return;
        if (_preTokenizer is null)
        {
            int before = ids.Count;
            _model.Tokenize(text.Text.Span, ids);
            offsets?.Add(text.Text, ids.Count - before);
            return;
        }
        var input = new List<Piece>(1) { text };
        var pieces = new List<Piece>();
        _preTokenizer.PreTokenize(input, pieces);
        foreach (var piece in pieces)
        {
            int before = ids.Count;
            _model.Tokenize(piece.Text.Span, ids);
            offsets?.Add(piece.Text, ids.Count - before);
        }
    }

    private SpecialToken? Resolve(string? content) =>
        content is not null && TokenToId(content) is int id ? new SpecialToken(content, id) : null;
}
