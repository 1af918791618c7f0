using Alignment.Tokenizers.Training;
using Ml = Microsoft.ML.Tokenizers;

namespace Alignment.Tokenizers.Tests;

/// <summary>
/// Which code encodes each real tokenizer's words (Microsoft.ML.Tokenizers' BPE, LlamaTokenizer,
/// SentencePieceTokenizer, TiktokenTokenizer, or our own BPE), and that the tokenizers work through the
/// Microsoft.ML.Tokenizers API, checked against Hugging Face's (or SentencePiece's, tiktoken's) ids in the fixture.
/// </summary>
public class TokenizerPathTests
{
    [Theory]
    [InlineData("qwen3", TokenizerPath.LibraryByteLevelBpe)]
    [InlineData("llama3", TokenizerPath.LibraryByteLevelBpe)]
    [InlineData("gpt2-bytelevel", TokenizerPath.LibraryByteLevelBpe)]
    [InlineData("llama2", TokenizerPath.OwnBpe)]
    [InlineData("llama2-metaspace", TokenizerPath.OwnBpe)]
    [InlineData("llama2-spm", TokenizerPath.LibraryLlama)]
    [InlineData("llama2-model", TokenizerPath.LibraryLlama)]
    [InlineData("spm-unigram", TokenizerPath.LibrarySentencePiece)]
    [InlineData("cl100k", TokenizerPath.LibraryTiktoken)]
    [InlineData("o200k", TokenizerPath.LibraryTiktoken)]
    public void Each_real_tokenizer_takes_its_path(string name, TokenizerPath path) =>
        Assert.Equal(path, ReferenceFixture.Tokenizer(name).EncodingPath);

    [Fact]
    public void A_tokenizer_json_beside_a_tokenizer_model_can_still_be_read_by_our_own_bpe()
    {
        // The benchmark's comparison: Llama 2's tokenizer.json on our own BPE gives Hugging Face's ids too.
        var own = Tokenizer.FromFile(ReferenceFixture.ModelDir("llama2-spm"), TokenizerPath.OwnBpe);
        Assert.Equal(TokenizerPath.OwnBpe, own.EncodingPath);
        foreach (var entry in ReferenceFixture.Parity("llama2-spm"))
            Assert.Equal(ReferenceFixture.Ids(entry["ids"]), own.Encode(entry["text"]!.GetValue<string>()));
    }

    [Fact]
    public void A_sentencepiece_model_the_library_cannot_read_is_an_error_naming_the_file()
    {
        // ALBERT's 30k-clean Unigram model: Microsoft.ML.Tokenizers 3.0.0 throws inside SentencePieceUnigramModel.
        string dir = ReferenceFixture.ModelDir("albert-30k");
        var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromFile(dir));
        Assert.Contains(Path.Combine(dir, "tokenizer.model"), e.Message);
        Assert.Contains("cannot read this SentencePiece model", e.Message);
    }

    [Fact]
    public void A_tokenizer_json_with_another_vocabulary_than_its_tokenizer_model_is_an_error()
    {
        // @lenml's Llama 2 tokenizer.json is another 32,000-piece BPE: there "▁Hello" is 22557, in Meta's model 15043.
        string dir = Directory.CreateTempSubdirectory("tok-mismatch").FullName;
        try
        {
            File.Copy(Path.Combine(ReferenceFixture.ModelDir("llama2-spm"), "tokenizer.model"), Path.Combine(dir, "tokenizer.model"));
            File.Copy(Path.Combine(ReferenceFixture.ModelDir("llama2"), "tokenizer.json"), Path.Combine(dir, "tokenizer.json"));
            var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromFile(dir));
            Assert.Contains("different vocabularies", e.Message);
            Assert.Contains("tokenizer.json", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Asking_for_a_path_the_files_cannot_take_names_the_reason()
    {
        var unigram = Assert.Throws<TokenizerException>(() => Tokenizer.FromFile(ReferenceFixture.ModelDir("spm-unigram"), TokenizerPath.LibraryLlama));
        Assert.Contains("Unigram", unigram.Message);
        var noModel = Assert.Throws<TokenizerException>(() => Tokenizer.FromFile(ReferenceFixture.ModelDir("qwen3"), TokenizerPath.LibraryLlama));
        Assert.Contains("tokenizer.model", noModel.Message);
        var noJson = Assert.Throws<TokenizerException>(() => Tokenizer.FromFile(ReferenceFixture.ModelDir("cl100k"), TokenizerPath.OwnBpe));
        Assert.Contains("tokenizer.json", noJson.Message);
    }

    [Fact]
    public void A_tiktoken_file_is_named_after_its_encoding_and_checked_line_by_line()
    {
        string dir = Directory.CreateTempSubdirectory("tok-tiktoken").FullName;
        try
        {
            string unknown = Path.Combine(dir, "p50k_base.tiktoken");
            File.WriteAllText(unknown, "IQ== 0\n");
            var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromFile(unknown));
            Assert.Contains("unknown tiktoken encoding 'p50k_base'", e.Message);
            Assert.Contains("cl100k_base.tiktoken", e.Message);

            string bad = Path.Combine(dir, "cl100k_base.tiktoken");
            File.WriteAllText(bad, "IQ== 0\nIg== one\n");
            e = Assert.Throws<TokenizerException>(() => Tokenizer.FromFile(bad));
            Assert.Contains($"{bad}: line 2:", e.Message);
            Assert.Contains("\"one\"", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_piece_that_continues_text_gets_no_dummy_prefix_from_a_tokenizer_model()
    {
        // Meta's Llama 2: "Hello world" is ▁Hello ▁world (15043 3186, the fixture's ids); "Hello" + "world" as
        // continuing pieces is ▁Hello (15043) then "world" without ▁ (11526 in Meta's vocabulary).
        var tokenizer = ReferenceFixture.Tokenizer("llama2-model");
        var pieces = tokenizer.EncodePieces(["Hello", " world"]);
        Assert.Equal([15043, 3186], pieces.SelectMany(p => p));
        Assert.Equal([15043], pieces[0]);
        Assert.Equal([11526], tokenizer.EncodePieces(["Hello", "world"])[1]);
    }

    [Fact]
    public void The_bpe_trainers_tokenizer_takes_the_library_path()
    {
        var trained = BpeTrainer.Train(["low lower lowest", "new newer newest"], new BpeTrainerOptions { VocabSize = 300, SpecialTokens = ["<|endoftext|>"] });
        Assert.Equal(TokenizerPath.LibraryByteLevelBpe, trained.ToTokenizer().EncodingPath);
    }

    [Fact]
    public void Asking_for_the_library_path_on_a_byte_fallback_tokenizer_names_the_reason()
    {
        var e = Assert.Throws<TokenizerException>(() => Tokenizer.FromFile(ReferenceFixture.ModelDir("llama2"), TokenizerPath.LibraryByteLevelBpe));
        Assert.Contains("byte_fallback", e.Message);
        Assert.Contains("tokenizer.json", e.Message);
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("llama3")]
    [InlineData("gpt2-bytelevel")]
    public void Our_own_bpe_still_matches_hugging_face_on_byte_level_tokenizers(string name)
    {
        // Kept for what the library cannot encode, and as the benchmark's comparison on the same files.
        var own = Tokenizer.FromFile(ReferenceFixture.ModelDir(name), TokenizerPath.OwnBpe);
        Assert.Equal(TokenizerPath.OwnBpe, own.EncodingPath);
        foreach (var entry in ReferenceFixture.Parity(name))
            Assert.Equal(ReferenceFixture.Ids(entry["ids"]), own.Encode(entry["text"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("llama3")]
    [InlineData("llama2")]
    [InlineData("llama2-spm")]
    [InlineData("llama2-model")]
    [InlineData("cl100k")]
    public void Microsoft_ml_api_encodes_and_decodes_as_hugging_face_with_special_tokens(string name)
    {
        Ml.Tokenizer tokenizer = ReferenceFixture.Tokenizer(name);
        foreach (var entry in ReferenceFixture.Parity(name))
        {
            string text = entry["text"]!.GetValue<string>();
            var expected = ReferenceFixture.Ids(entry["ids_with_special_tokens"]);
            Assert.Equal(expected, tokenizer.EncodeToIds(text));
            Assert.Equal(expected.Length, tokenizer.CountTokens(text));
            Assert.Equal(expected, tokenizer.EncodeToTokens(text, out _).Select(t => t.Id));
            Assert.Equal(entry["decoded"]!.GetValue<string>(), tokenizer.Decode(ReferenceFixture.Ids(entry["ids"])));
        }
    }

    [Fact]
    public void Offsets_and_token_budgets_follow_the_words_of_the_text()
    {
        // Llama 3 splits "Hello, world! How are you doing today?" into Hello , Ġworld ! ĠHow Ġare Ġyou Ġdoing Ġtoday ?
        // (Hugging Face's tokens): offsets 0-5, 5-6, 6-12, 12-13, 13-17, 17-21, 21-25, 25-31, 31-37, 37-38.
        Ml.Tokenizer tokenizer = ReferenceFixture.Tokenizer("llama3");
        const string text = "Hello, world! How are you doing today?";
        var tokens = tokenizer.EncodeToTokens(text, out string? normalized);
        Assert.Null(normalized);
        Assert.Equal([0, 5, 6, 12, 13, 17, 21, 25, 31, 37], tokens.Select(t => t.Offset.Start.Value));
        Assert.Equal([5, 6, 12, 13, 17, 21, 25, 31, 37, 38], tokens.Select(t => t.Offset.End.Value));

        Assert.Equal(12, tokenizer.GetIndexByTokenCount(text, 3, out _, out int count));
        Assert.Equal(3, count);
        Assert.Equal(31, tokenizer.GetIndexByTokenCountFromEnd(text, 2, out _, out count));
        Assert.Equal(2, count);
        Assert.Equal([9906, 11, 1917], tokenizer.EncodeToIds(text, 3, out _, out int consumed));
        Assert.Equal(12, consumed);

        // "trailing" is two tokens (tr, ailing): a budget of one token does not cut the word.
        Assert.Equal(0, tokenizer.GetIndexByTokenCount("trailing space ", 1, out _, out count));
        Assert.Equal(0, count);
        Assert.Equal(8, tokenizer.GetIndexByTokenCount("trailing space ", 2, out _, out count));
        Assert.Equal(2, count);
    }

    [Fact]
    public void Decoding_into_a_short_buffer_writes_the_ids_that_fit()
    {
        Ml.Tokenizer tokenizer = ReferenceFixture.Tokenizer("llama3");
        int[] ids = [9906, 11, 1917]; // "Hello", ",", " world"
        var buffer = new char[8];
        var status = tokenizer.Decode(ids, buffer, out int used, out int written);
        Assert.Equal(System.Buffers.OperationStatus.DestinationTooSmall, status);
        Assert.Equal(2, used);
        Assert.Equal("Hello,", new string(buffer, 0, written));
    }

    [Fact]
    public void Skipping_pre_tokenization_is_refused()
    {
        Ml.Tokenizer tokenizer = ReferenceFixture.Tokenizer("llama3");
        Assert.Throws<NotSupportedException>(() => tokenizer.EncodeToIds("Hello", considerPreTokenization: false));
    }
}
