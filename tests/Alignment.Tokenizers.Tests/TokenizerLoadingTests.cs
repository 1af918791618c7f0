namespace Alignment.Tokenizers.Tests;

/// <summary>Loading errors name the file and the JSON path; bad ids in Decode are clear errors.</summary>
public class TokenizerLoadingTests
{
    private const string Vocab = """{"a": 0, "b": 1, "ab": 2}""";

    private static string Json(string model = $$"""{"type": "BPE", "vocab": {{Vocab}}, "merges": ["a b"]}""", string preTokenizer = "null", string decoder = "null", string normalizer = "null") =>
        $$"""{"version": "1.0", "added_tokens": [], "normalizer": {{normalizer}}, "pre_tokenizer": {{preTokenizer}}, "post_processor": null, "decoder": {{decoder}}, "model": {{model}}}""";

    [Theory]
    [InlineData("Unigram")]
    [InlineData("WordPiece")]
    [InlineData("WordLevel")]
    public void Unsupported_model_types_are_named_with_their_path(string type)
    {
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(Json(model: $$"""{"type": "{{type}}", "vocab": []}""")));
        Assert.Equal($"tokenizer.json: model.type '{type}' is not supported (supported: BPE)", error.Message);
    }

    [Fact]
    public void Unsupported_pre_tokenizer_inside_a_sequence_is_named_with_its_path()
    {
        string pre = """{"type": "Sequence", "pretokenizers": [{"type": "ByteLevel"}, {"type": "BertPreTokenizer"}]}""";
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(Json(preTokenizer: pre)));
        Assert.StartsWith("tokenizer.json: pre_tokenizer.pretokenizers[1].type 'BertPreTokenizer' is not supported (supported: Split, ByteLevel", error.Message);
    }

    [Fact]
    public void Unsupported_normalizer_and_decoder_are_named()
    {
        Assert.StartsWith("tokenizer.json: normalizer.type 'BertNormalizer' is not supported",
            Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(Json(normalizer: """{"type": "BertNormalizer"}"""))).Message);
        Assert.StartsWith("tokenizer.json: decoder.decoders[0].type 'WordPiece' is not supported",
            Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(Json(decoder: """{"type": "Sequence", "decoders": [{"type": "WordPiece"}]}"""))).Message);
    }

    [Fact]
    public void A_merge_of_unknown_tokens_names_its_index()
    {
        var error = Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(Json(model: $$"""{"type": "BPE", "vocab": {{Vocab}}, "merges": ["a b", ["b", "c"]]}""")));
        Assert.Equal("tokenizer.json: model.merges[1] token 'c' is not in the vocabulary", error.Message);
    }

    [Fact]
    public void A_missing_field_and_a_regex_net_cannot_compile_are_named()
    {
        Assert.Equal("tokenizer.json: model.vocab is missing",
            Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(Json(model: """{"type": "BPE", "merges": []}"""))).Message);
        string pre = """{"type": "Split", "pattern": {"Regex": "\\p{Han}+"}, "behavior": "Isolated", "invert": false}""";
        Assert.StartsWith("tokenizer.json: pre_tokenizer.pattern.Regex regex cannot be compiled by .NET",
            Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(Json(preTokenizer: pre))).Message);
    }

    [Fact]
    public void A_folder_without_tokenizer_json_says_what_is_expected()
    {
        string dir = Directory.CreateTempSubdirectory("no-tokenizer-").FullName;
        try
        {
            var error = Assert.Throws<TokenizerException>(() => Tokenizer.FromFile(dir));
            Assert.Contains("has no tokenizer.json", error.Message);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Fact]
    public void Decode_rejects_ids_outside_the_vocabulary()
    {
        var tokenizer = Tokenizer.FromJson(Json());
        Assert.Equal("ab", tokenizer.Decode([2]).Replace(" ", ""));
        var error = Assert.Throws<TokenizerException>(() => tokenizer.Decode([0, 3]));
        Assert.Equal("Decode: token id 3 is not in the vocabulary (ids run from 0 to 2)", error.Message);
        Assert.Throws<TokenizerException>(() => tokenizer.Decode([-1]));
    }
}
