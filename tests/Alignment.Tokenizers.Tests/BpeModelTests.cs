namespace Alignment.Tokenizers.Tests;

/// <summary>The BPE model's options on hand-built tokenizer.json files, with hand-derived ids.</summary>
public class BpeModelTests
{
    private static Tokenizer Build(string vocab, string merges, string options = "", string addedTokens = "[]", string preTokenizer = "null", string decoder = "null") =>
        Tokenizer.FromJson(
            $"{{\"version\": \"1.0\", \"added_tokens\": {addedTokens}, \"normalizer\": null, \"pre_tokenizer\": {preTokenizer}, " +
            $"\"post_processor\": null, \"decoder\": {decoder}, " +
            $"\"model\": {{\"type\": \"BPE\", \"vocab\": {vocab}, \"merges\": {merges} {options}}}}}");

    [Fact]
    public void Lowest_rank_merges_first_and_leftmost_on_ties()
    {
        // Ranks: (b,c)=0, (a,b)=1. "abc": bc merges first, then a+bc has no merge -> [a, bc].
        var t = Build("""{"a":0,"b":1,"c":2,"ab":3,"bc":4}""", """[["b","c"],["a","b"]]""");
        Assert.Equal([0, 4], t.Encode("abc"));
        // "aaa" with (a,a): the leftmost pair merges, leaving [aa, a].
        var aa = Build("""{"a":0,"aa":1}""", """["a a"]""");
        Assert.Equal([1, 0], aa.Encode("aaa"));
        Assert.Equal([1, 1], aa.Encode("aaaa"));
    }

    [Fact]
    public void Ignore_merges_takes_a_whole_word_from_the_vocabulary()
    {
        // "abc" is in the vocabulary but no merge chain builds it.
        const string vocab = """{"a":0,"b":1,"c":2,"ab":3,"abc":4}""";
        Assert.Equal([3, 2], Build(vocab, """["a b"]""").Encode("abc"));
        Assert.Equal([4], Build(vocab, """["a b"]""", ", \"ignore_merges\": true").Encode("abc"));
    }

    [Fact]
    public void Byte_fallback_spells_unknown_characters_as_utf8_bytes_and_decodes_them_back()
    {
        string vocab = "{\"<unk>\":0,\"a\":1," + string.Join(",", Enumerable.Range(0, 256).Select(b => $"\"<0x{b:X2}>\":{b + 2}")) + "}";
        string decoder = """{"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]}""";
        var t = Build(vocab, "[]", ", \"unk_token\": \"<unk>\", \"byte_fallback\": true", decoder: decoder);
        // é = C3 A9
        Assert.Equal([1, 0xC3 + 2, 0xA9 + 2, 1], t.Encode("aéa"));
        Assert.Equal("aéa", t.Decode(t.Encode("aéa")));
        // An invalid byte run decodes to one U+FFFD per byte, as Hugging Face's ByteFallback does.
        Assert.Equal("a\uFFFD\uFFFD", t.Decode([1, 0xC3 + 2, 0x41 + 2])); // C3 41 is not UTF-8
    }

    [Fact]
    public void Unknown_characters_become_unk_fused_when_asked()
    {
        const string vocab = """{"<unk>":0,"a":1}""";
        Assert.Equal([1, 0, 0, 1], Build(vocab, "[]", ", \"unk_token\": \"<unk>\"").Encode("axya"));
        Assert.Equal([1, 0, 1], Build(vocab, "[]", ", \"unk_token\": \"<unk>\", \"fuse_unk\": true").Encode("axya"));
        Assert.Equal([1, 1], Build(vocab, "[]").Encode("axya")); // no unk token: dropped, as in Hugging Face
    }

    [Fact]
    public void Continuing_subword_prefix_and_end_of_word_suffix_mark_symbols()
    {
        // Symbols inside a word carry "##"; the merge (a, ##b) builds "ab".
        var prefix = Build("""{"a":0,"##b":1,"ab":2,"##a":3}""", """[["a","##b"]]""", ", \"continuing_subword_prefix\": \"##\"");
        Assert.Equal([2, 3], prefix.Encode("aba"));
        var suffix = Build("""{"a":0,"b</w>":1,"ab</w>":2}""", """[["a","b</w>"]]""", ", \"end_of_word_suffix\": \"</w>\"");
        Assert.Equal([2], suffix.Encode("ab"));
    }

    [Fact]
    public void Added_tokens_honor_lstrip_rstrip_and_single_word()
    {
        const string added = """
            [{"id": 3, "content": "<m>", "special": true, "lstrip": true, "rstrip": true, "single_word": false, "normalized": false},
             {"id": 4, "content": "on", "special": false, "single_word": true, "lstrip": false, "rstrip": false, "normalized": false}]
            """;
        var t = Build("""{"a":0," ":1,"o":2,"n":5}""", "[]", addedTokens: added);
        Assert.Equal([0, 3, 0], t.Encode("a  <m>  a"));      // the spaces around <m> are swallowed
        Assert.Equal([0, 1, 4, 1, 0], t.Encode("a on a"));   // "on" alone is the added token
        Assert.Equal([0, 2, 5], t.Encode("aon"));             // glued to a word: not matched
        Assert.True(t.IsSpecial(3));
        Assert.False(t.IsSpecial(4));
        Assert.Equal("a on", t.Decode([0, 4])); // no decoder: tokens joined by spaces, as in Hugging Face
    }
}
