using System.Text;
using System.Text.Json.Nodes;
using Alignment.Tokenizers.Chat;

namespace Alignment.Tokenizers.Tests;

/// <summary>
/// Our chat templates against the real Jinja chat templates rendered by Hugging Face's jinja and
/// tokenized by Hugging Face's tokenizer: the text must be identical, and our ids, built from prompt
/// and answer segments tokenized separately, must equal Hugging Face's ids for the whole text.
/// </summary>
public class ChatTemplateParityTests
{
    [Fact]
    public void Renderings_match_the_real_chat_templates()
    {
        var failures = new StringBuilder();
        int count = 0;
        foreach (var c in ReferenceFixture.Chat())
        {
            count++;
            var (name, tokenizer, template, messages, addGenerationPrompt) = Read(c);
            string expected = c["text"]!.GetValue<string>();
            string actual = template.Render(tokenizer, messages, addGenerationPrompt);
            if (IsAlwaysGenerationPromptTemplate(c)) actual = template.Render(tokenizer, messages, false) + Llama3AssistantHeader;
            if (expected != actual)
                failures.AppendLine($"  {name}\n    expected {HuggingFaceParityTests.Quote(expected)}\n    actual   {HuggingFaceParityTests.Quote(actual)}");
        }
        Assert.True(count >= 30, $"fixture has only {count} chat renderings");
        Assert.True(failures.Length == 0, $"chat renderings differ from Hugging Face's:\n{failures}");
    }

    [Fact]
    public void Ids_from_separately_tokenized_segments_equal_hugging_face_ids_of_the_whole_text()
    {
        var failures = new StringBuilder();
        foreach (var c in ReferenceFixture.Chat())
        {
            if (IsAlwaysGenerationPromptTemplate(c) && !c["add_generation_prompt"]!.GetValue<bool>()) continue;
            var (name, tokenizer, template, messages, addGenerationPrompt) = Read(c);
            var expected = ReferenceFixture.Ids(c["ids"]);
            var encoding = template.Encode(tokenizer, messages, addGenerationPrompt);
            if (!expected.SequenceEqual(encoding.InputIds))
                failures.AppendLine($"  {name}\n    expected {string.Join(" ", expected)}\n    actual   {string.Join(" ", encoding.InputIds)}");
            // The whole text through our own Encode agrees too: no prompt/answer boundary changed a token.
            if (!encoding.InputIds.SequenceEqual(tokenizer.Encode(encoding.Text)))
                failures.AppendLine($"  {name}: segment ids differ from Encode(whole text)");
        }
        Assert.True(failures.Length == 0, $"chat ids differ:\n{failures}");
    }

    [Fact]
    public void Each_answer_is_masked_and_ends_with_exactly_one_end_of_turn_token()
    {
        foreach (var c in ReferenceFixture.Chat())
        {
            if (c["add_generation_prompt"]!.GetValue<bool>()) continue;
            var (name, tokenizer, template, messages, _) = Read(c);
            var encoding = template.Encode(tokenizer, messages);
            int eot = tokenizer.TokenToId(template.EndOfTurn(tokenizer))!.Value;
            var answers = Runs(encoding.AssistantMask).Select(r => encoding.InputIds[r.Start..r.End]).ToList();
            var assistantMessages = messages.Where(m => m.Role == "assistant").ToList();

            Assert.True(assistantMessages.Count == answers.Count, $"{name}: {answers.Count} masked runs for {assistantMessages.Count} answers");
            for (int i = 0; i < answers.Count; i++)
            {
                Assert.True(answers[i][^1] == eot, $"{name}: answer {i} does not end with the end-of-turn token");
                Assert.True(answers[i].Count(id => id == eot) == 1, $"{name}: answer {i} has the end-of-turn token more than once");
                // The masked tokens spell the assistant's words (plus the template's own answer decoration);
                // the Metaspace variant has no ByteFallback decoder, so its newlines stay <0x0A>.
                if (c["tokenizer"]!.GetValue<string>() != "llama2-metaspace")
                    Assert.Contains(assistantMessages[i].Content.Trim(), tokenizer.Decode(answers[i]));
            }
            Assert.Equal(encoding.InputIds.Count(id => id == eot) - PromptEndOfTurns(encoding, eot), answers.Count);
        }
    }

    [Fact]
    public void The_tokenizers_own_chat_templates_are_recognized()
    {
        Assert.Equal("qwen3", ChatTemplates.For(ReferenceFixture.Tokenizer("qwen3")).Name);
        Assert.Equal("llama3", ChatTemplates.For(ReferenceFixture.Tokenizer("llama3")).Name);
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(ReferenceFixture.CacheDir, "chat-reference.json")))!;
        var expected = new Dictionary<string, string>
        {
            ["hf-chatml"] = "chatml", ["qwen2.5-no-tools"] = "qwen", ["llama3-instruct"] = "llama3",
            ["llama2-chat"] = "llama2", ["mistral-instruct-v0.1"] = "mistral",
        };
        foreach (var (key, name) in expected)
            Assert.Equal(name, ChatTemplates.Detect(reference["templates"]![key]!["text"]!.GetValue<string>())?.Name);
    }

    [Fact]
    public void A_tokenizer_without_chat_template_needs_a_name()
    {
        var llama2 = ReferenceFixture.Tokenizer("llama2"); // its tokenizer_config.json has no chat_template
        var error = Assert.Throws<TokenizerException>(() => ChatTemplates.For(llama2));
        Assert.Contains("chatml, qwen, qwen3, llama3, llama2, mistral, alpaca, plain", error.Message);
        Assert.Equal("llama2", ChatTemplates.For(llama2, "llama2").Name);
    }

    private const string Llama3AssistantHeader = "<|start_header_id|>assistant<|end_header_id|>\n\n";

    /// <summary>The Llama 3 template shipped in the npm package is the base model's: it always appends the assistant header.</summary>
    private static bool IsAlwaysGenerationPromptTemplate(JsonObject c) =>
        c["chat_template"]!.GetValue<string>() == "llama3" && c["reference_template"]!.GetValue<string>() == "shipped";

    private static (string Name, Tokenizer Tokenizer, ChatTemplate Template, ChatMessage[] Messages, bool AddGenerationPrompt) Read(JsonObject c) =>
        (c["name"]!.GetValue<string>(),
         ReferenceFixture.Tokenizer(c["tokenizer"]!.GetValue<string>()),
         ChatTemplates.Get(c["chat_template"]!.GetValue<string>()),
         c["messages"]!.AsArray().Select(m => new ChatMessage(m!["role"]!.GetValue<string>(), m["content"]!.GetValue<string>())).ToArray(),
         c["add_generation_prompt"]!.GetValue<bool>());

    private static int PromptEndOfTurns(ChatEncoding e, int eot) =>
        e.InputIds.Where((id, i) => id == eot && !e.AssistantMask[i]).Count();

    private static IEnumerable<(int Start, int End)> Runs(bool[] mask)
    {
        for (int i = 0; i < mask.Length; i++)
        {
            if (!mask[i]) continue;
            int start = i;
            while (i < mask.Length && mask[i]) i++;
            yield return (start, i);
        }
    }
}
