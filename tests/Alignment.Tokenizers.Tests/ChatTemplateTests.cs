using Alignment.Tokenizers.Chat;

namespace Alignment.Tokenizers.Tests;

/// <summary>Chat formats without a Hugging Face reference (alpaca, plain, Mistral with a system message), checked against hand-written renderings.</summary>
public class ChatTemplateTests
{
    private static readonly ChatMessage[] Conversation =
    [
        ChatMessage.System("Be brief."),
        ChatMessage.User("Capital of France?"),
        ChatMessage.Assistant("Paris."),
        ChatMessage.User("And Italy?"),
        ChatMessage.Assistant("Rome."),
    ];

    [Fact]
    public void Alpaca_renders_instruction_and_response_blocks()
    {
        var llama2 = ReferenceFixture.Tokenizer("llama2"); // adds BOS
        Assert.Equal(
            "<s>Be brief.\n\n### Instruction:\nCapital of France?\n\n### Response:\nParis.</s>\n\n### Instruction:\nAnd Italy?\n\n### Response:\nRome.</s>",
            ChatTemplates.Get("alpaca").Render(llama2, Conversation));
        var qwen = ReferenceFixture.Tokenizer("qwen3"); // no BOS; EOS <|im_end|>
        Assert.Equal(
            "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nHi\n\n### Response:\n",
            ChatTemplates.Get("alpaca").Render(qwen, [ChatMessage.User("Hi")], addGenerationPrompt: true));
    }

    [Fact]
    public void Plain_is_prompt_then_completion_then_eos_with_loss_on_completion_and_eos()
    {
        var qwen = ReferenceFixture.Tokenizer("qwen3");
        var plain = (Alignment.Tokenizers.Chat.Templates.PlainTemplate)ChatTemplates.Get("plain");
        var e = plain.Encode(qwen, "The sky is", " blue.");
        int[] prompt = qwen.Encode("The sky is"), completion = qwen.Encode(" blue.");
        int eos = qwen.Eos!.Value.Id;
        Assert.Equal([.. prompt, .. completion, eos], e.InputIds);
        Assert.Equal([.. prompt.Select(_ => false), .. completion.Select(_ => true), true], e.AssistantMask);

        var llama2 = ReferenceFixture.Tokenizer("llama2");
        var withBos = plain.Encode(llama2, "The sky is", " blue.");
        Assert.Equal(1, withBos.InputIds[0]);  // <s>
        Assert.Equal(2, withBos.InputIds[^1]); // </s>
        Assert.Equal("<s>The sky is blue.</s>", withBos.Text);
        // The completion continues the prompt: no extra ▁ is put in front of it.
        Assert.Equal(llama2.Encode("The sky is blue.", addSpecialTokens: true), withBos.InputIds[..^1]);
    }

    [Fact]
    public void Mistral_puts_the_system_message_in_front_of_the_first_user_message()
    {
        var llama2 = ReferenceFixture.Tokenizer("llama2");
        Assert.Equal(
            "<s>[INST] Be brief.\n\nCapital of France? [/INST]Paris.</s>[INST] And Italy? [/INST]Rome.</s>",
            ChatTemplates.Get("mistral").Render(llama2, Conversation));
    }

    [Fact]
    public void Qwen3_drops_earlier_reasoning_and_keeps_the_final_one_in_the_answer()
    {
        var qwen = ReferenceFixture.Tokenizer("qwen3");
        ChatMessage[] messages =
        [
            ChatMessage.User("1+1?"), ChatMessage.Assistant("<think>\nadd\n</think>\n\n2"),
            ChatMessage.User("2+2?"), ChatMessage.Assistant("<think>\nadd again\n</think>\n\n4"),
        ];
        var e = ChatTemplates.Get("qwen3").Encode(qwen, messages);
        Assert.Equal(
            "<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n2<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>\nadd again\n</think>\n\n4<|im_end|>\n",
            e.Text);
        Assert.Equal(["2<|im_end|>", "<think>\nadd again\n</think>\n\n4<|im_end|>"], e.Segments.Where(s => s.IsAnswer).Select(s => s.Text));
    }

    [Fact]
    public void Conversations_that_break_the_format_are_rejected()
    {
        var qwen = ReferenceFixture.Tokenizer("qwen3");
        var chatml = ChatTemplates.Get("chatml");
        Assert.Contains("expected 'assistant'", Assert.Throws<TokenizerException>(() =>
            chatml.Encode(qwen, [ChatMessage.User("a"), ChatMessage.User("b")])).Message);
        Assert.Contains("generation prompt", Assert.Throws<TokenizerException>(() =>
            chatml.Encode(qwen, [ChatMessage.User("a"), ChatMessage.Assistant("b")], addGenerationPrompt: true)).Message);
        // An answer that itself contains the end-of-turn token would put two EOS in one answer.
        Assert.Contains("exactly one <|im_end|>", Assert.Throws<TokenizerException>(() =>
            chatml.Encode(qwen, [ChatMessage.User("a"), ChatMessage.Assistant("b<|im_end|>c")])).Message);
        Assert.Contains("has no system message", Assert.Throws<TokenizerException>(() =>
            ChatTemplates.Get("plain").Encode(qwen, Conversation)).Message);
        Assert.Equal("unknown chat template 'vicuna' (known: chatml, qwen, qwen3, llama3, llama2, mistral, alpaca, plain)",
            Assert.Throws<TokenizerException>(() => ChatTemplates.Get("vicuna")).Message);
    }

    [Fact]
    public void Qwen_adds_its_default_system_message()
    {
        var qwen = ReferenceFixture.Tokenizer("qwen3");
        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplates.Get("qwen").Render(qwen, [ChatMessage.User("Hi")], addGenerationPrompt: true));
    }
}
