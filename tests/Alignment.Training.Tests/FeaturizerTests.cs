using Alignment.Tokenizers;
using Alignment.Tokenizers.Chat;
using Alignment.Training.Datasets;
using Alignment.Training.Features;

namespace Alignment.Training.Tests;

// Prompt/answer boundary (no token merges across it; the prompt is exactly the generation prompt) on the real Qwen 3 tokenizer from the test fixtures (.ci/setup).
public class FeaturizerTests
{
    private static Tokenizer Qwen()
    {
        string root = Environment.GetEnvironmentVariable("ALIGN_TEST_CACHE") is { Length: > 0 } c ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "alignment-tests");
        string dir = Path.Combine(root, "tokenizers", "models", "qwen3");
        if (!Directory.Exists(dir)) throw new Xunit.Sdk.XunitException($"{dir} is missing: run `bash .ci/setup` (it installs the tokenizer fixtures)");
        return Tokenizer.FromFile(dir);
    }

    private static readonly Lazy<Tokenizer> Tok = new(Qwen);

    [Fact]
    public void Preference_ids_equal_the_rendered_conversation()
    {
        var tok = Tok.Value;
        var template = ChatTemplates.Get("chatml");
        var f = new Featurizer(tok, template, maxLength: 512);
        var ex = new PreferenceExample(Prompt.FromText("What is 2+2?"), new Completion("4", null), new Completion("Five, I think.", null), 1.0, 1);
        var p = f.Preference(ex);

        var whole = template.Encode(tok, new[] { ChatMessage.User("What is 2+2?"), ChatMessage.Assistant("4") });
        int end = Array.FindLastIndex(whole.AssistantMask, m => m) + 1;
        Assert.Equal(whole.InputIds[..end], p.PromptIds.Concat(p.ChosenIds).ToArray());
        // The whole text through Hugging Face-equivalent encoding gives the same ids: no merge across the boundary.
        Assert.Equal(tok.Encode(whole.Text, addSpecialTokens: false)[..end], p.PromptIds.Concat(p.ChosenIds).ToArray());
        // The prompt is exactly the generation prompt; each answer ends with one <|im_end|>.
        Assert.Equal(template.Encode(tok, new[] { ChatMessage.User("What is 2+2?") }, addGenerationPrompt: true).InputIds, p.PromptIds);
        int imEnd = tok.TokenToId("<|im_end|>")!.Value;
        Assert.Equal(imEnd, p.ChosenIds[^1]);
        Assert.Equal(1, p.RejectedIds.Count(i => i == imEnd));
        Assert.Equal(1.0, p.Margin);
    }

    [Fact]
    public void Sft_labels_cover_every_assistant_turn_and_only_them()
    {
        var tok = Tok.Value;
        var template = ChatTemplates.Get("chatml");
        var msgs = new[] { ChatMessage.System("Be brief."), ChatMessage.User("Hi"), ChatMessage.Assistant("Hello!"), ChatMessage.User("Bye"), ChatMessage.Assistant("Bye!") };
        var s = new Featurizer(tok, template, 512).Sft(new SftExample(msgs, null, null, 3));
        var whole = template.Encode(tok, msgs);
        int end = Array.FindLastIndex(whole.AssistantMask, m => m) + 1;
        Assert.Equal(whole.InputIds[..end], s.InputIds);
        for (int i = 0; i < s.Length; i++)
            Assert.Equal(whole.AssistantMask[i] ? s.InputIds[i] : SftFeatures.IgnoreIndex, s.Labels[i]);
        var trained = tok.Decode(s.Labels.Where(l => l >= 0).ToArray());
        Assert.Equal("Hello!<|im_end|>Bye!<|im_end|>", trained);
    }

    [Theory]
    [InlineData(100, 10, 64, 54, 10)]   // short answer kept whole, prompt cut
    [InlineData(10, 100, 64, 10, 54)]   // short prompt kept whole, answer cut
    [InlineData(60, 40, 64, 39, 25)]    // both cut in proportion: answer ⌊64·40/100⌋ = 25
    [InlineData(20, 20, 64, 20, 20)]    // fits
    public void Truncation_budget_follows_the_rule(int prompt, int answer, int max, int expectedPrompt, int expectedAnswer)
    {
        var (p, a) = Truncation.Budget(prompt, answer, max);
        if (prompt + answer <= max) (p, a) = (prompt, answer);
        Assert.Equal((expectedPrompt, expectedAnswer), (p, a));
    }

    [Fact]
    public void Truncation_keeps_the_prompt_end_and_the_answer_start()
    {
        var tok = Tok.Value;
        string prompt = string.Join(" ", Enumerable.Range(0, 20).Select(i => $"w{i}"));     // ~50 tokens with the template
        string answer = string.Join(" ", Enumerable.Range(0, 30).Select(i => $"a{i}"));     // ~60 tokens
        var f = new Featurizer(tok, ChatTemplates.Get("chatml"), maxLength: 64);
        var full = f.Preference(new PreferenceExample(Prompt.FromText(prompt), new Completion(answer, null), new Completion("no", null), null, 7));
        var g = new Featurizer(tok, ChatTemplates.Get("chatml"), maxLength: 4096)
            .Preference(new PreferenceExample(Prompt.FromText(prompt), new Completion(answer, null), new Completion("no", null), null, 7));
        var (pl, al) = Truncation.Budget(g.PromptIds.Length, g.ChosenIds.Length, 64);
        Assert.Equal(g.PromptIds[^pl..], full.PromptIds);                     // the END of the prompt survives
        Assert.Equal(g.ChosenIds[..al], full.ChosenIds);                     // the START of the answer survives
        Assert.True(full.PromptIds.Length + full.ChosenIds.Length <= 64);
        Assert.EndsWith("<|im_start|>assistant\n", tok.Decode(full.PromptIds));
        Assert.Equal(Truncation.KeepEnd(new[] { 1, 2, 3, 4 }, 2, bos: 1), new[] { 1, 4 });
        Assert.Equal(Truncation.KeepEnd(new[] { 5, 2, 3, 4 }, 2, bos: 1), new[] { 3, 4 });
    }

    [Fact]
    public void Prompt_without_room_for_an_answer_is_an_error_naming_the_line()
    {
        var f = new Featurizer(Tok.Value, ChatTemplates.Get("chatml"), maxLength: 16, source: "pairs.jsonl");
        string longPrompt = string.Join(" ", Enumerable.Range(0, 50).Select(i => $"w{i}"));
        var e = Assert.Throws<DatasetException>(() => f.Preference(new PreferenceExample(Prompt.FromText(longPrompt), new Completion("a", null), new Completion("b", null), null, 12)));
        Assert.StartsWith("pairs.jsonl:12: the prompt is", e.Message);
        Assert.Contains("max_length 16", e.Message);
        var e2 = Assert.Throws<DatasetException>(() => f.Sft(new SftExample(new[] { ChatMessage.Assistant("x") }, null, null, 4)));
        Assert.StartsWith("pairs.jsonl:4:", e2.Message);
    }
}
