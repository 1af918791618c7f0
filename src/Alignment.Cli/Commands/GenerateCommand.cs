using System.CommandLine;
using System.Text.Json.Serialization;
using Alignment.Cli.Runtime;
using Alignment.Models.Generation;
using Alignment.Models.Llama;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Chat;
using Alignment.Training.Runtime;
using Alignment.Torch;

namespace Alignment.Cli.Commands;

/// <summary>
/// `align generate --model DIR --prompt TEXT [--chat] ...`: continues a prompt with a Hugging Face model folder
/// (config, weights and tokenizer). Greedy by default; --temperature &gt; 0 samples (seeded by --seed).
/// </summary>
public static class GenerateCommand
{
    /// <summary>`--json` object.</summary>
    public sealed record Report(string Text, long[] Ids, float[] Logprobs, string FinishReason, int PromptTokens, [property: JsonPropertyName("template")] string? Template);

    public static Command Create(Option<int?> threadsOption)
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder: config.json, safetensors weights and tokenizer.json.", HelpName = "DIR", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "The prompt text.", HelpName = "TEXT", Required = true };
        var chat = new Option<bool>("--chat") { Description = "Wrap the prompt as a user message in the model's chat template and add the assistant header." };
        var template = new Option<string?>("--template") { Description = $"Chat template with --chat (default: recognized from tokenizer_config.json). One of: {string.Join(", ", ChatTemplates.Names)}.", HelpName = "NAME" };
        var system = new Option<string?>("--system") { Description = "System message with --chat.", HelpName = "TEXT" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Most tokens to generate.", DefaultValueFactory = _ => 128, CustomParser = r => OptionParsers.Count(r, "--max-new-tokens") };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy (default); above 0 samples from the distribution divided by it.", DefaultValueFactory = _ => 0.0 };
        var topP = new Option<double>("--top-p") { Description = "With sampling: keep the smallest set of likely tokens whose probability reaches P.", DefaultValueFactory = _ => 1.0 };
        var topK = new Option<int>("--top-k") { Description = "With sampling: keep the K most likely tokens (0 = all).", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the sampling generator (same seed, same text).", DefaultValueFactory = _ => 0UL };
        var stop = new Option<string[]>("--stop") { Description = "Stop when the output ends with this text (repeatable).", HelpName = "TEXT", AllowMultipleArgumentsPerToken = false };
        var dtype = new Option<string>("--dtype") { Description = "Compute dtype: float32 or bfloat16.", DefaultValueFactory = _ => "float32" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (text, ids, per-token logprobs, finish_reason) instead of the text." };

        var command = new Command("generate", "Generate a continuation of a prompt (or a chat answer with --chat) with a Hugging Face model folder.")
        {
            model, prompt, chat, template, system, maxNew, temperature, topP, topK, seed, stop, dtype, json,
        };
        command.SetAction(CommandContext.Action(threadsOption, ctx =>
        {
            var p = ctx.Parse;
            double temp = p.GetValue(temperature);
            if (temp < 0) throw new UsageException($"--temperature must be 0 (greedy) or positive, got {temp}");
            return Run(ctx, p.GetValue(model)!, p.GetValue(prompt)!, p.GetValue(chat), p.GetValue(template), p.GetValue(system),
                       new GenerationOptions
                       {
                           MaxNewTokens = p.GetValue(maxNew),
                           DoSample = temp > 0,
                           Temperature = temp > 0 ? temp : 1.0,
                           TopP = p.GetValue(topP),
                           TopK = p.GetValue(topK),
                       },
                       p.GetValue(seed), p.GetValue(stop) ?? Array.Empty<string>(), ScalarTypeExtensions.ParseDType(p.GetValue(dtype)!), p.GetValue(json));
        }));
        return command;
    }

    private static int Run(CommandContext ctx, string modelDir, string promptText, bool chat, string? templateName, string? system,
                           GenerationOptions options, ulong seed, string[] stops, ScalarType dtype, bool json)
    {
        Tokenizer tok;
        ChatTemplate? template = null;
        long[] promptIds;
        try
        {
            tok = Tokenizer.FromFile(modelDir);
            if (chat)
            {
                template = ChatTemplates.For(tok, templateName);
                var messages = new List<ChatMessage>();
                if (system != null) messages.Add(ChatMessage.System(system));
                messages.Add(ChatMessage.User(promptText));
                promptIds = template.Encode(tok, messages, addGenerationPrompt: true).InputIds.Select(i => (long)i).ToArray();
            }
            else
            {
                promptIds = tok.Encode(promptText, addSpecialTokens: true).Select(i => (long)i).ToArray();
            }
        }
        catch (TokenizerException e)
        {
            throw new UsageException($"{modelDir}: {e.Message}");
        }
        if (promptIds.Length == 0) throw new UsageException("--prompt encodes to no tokens");

        using var lm = LlamaForCausalLM.from_pretrained(modelDir, dtype);
        foreach (var w in lm.warnings) ctx.Error.WriteLine($"warning: {w}");
        lm.eval();

        var eos = new HashSet<long>(StageData.StopIds(lm.config, tok, template));
        long pad = StageData.PadId(tok, lm.config);
        options = options with
        {
            EosTokenIds = eos.ToArray(),
            PadTokenId = pad,
            StopSequences = stops.Where(s => s.Length > 0).Select(s => tok.Encode(s).Select(i => (long)i).ToArray()).Where(s => s.Length > 0).ToArray(),
        };

        using var rng = new Generator(seed);
        var result = ctx.WithStatus("Generating...", _ => CausalLMGenerator.Generate(lm, new[] { promptIds }, options, rng))[0];
        var outputIds = result.Tokens.Where(t => !eos.Contains(t)).Select(t => (int)t).ToArray();
        string text = tok.Decode(outputIds, skipSpecialTokens: true);
        if (json) ctx.WriteJson(new Report(text, result.Tokens, result.LogProbs, result.FinishReason.ToString().ToLowerInvariant(), promptIds.Length, template?.Name));
        else ctx.Out.WriteLine(text);
        return ExitCodes.Ok;
    }
}
