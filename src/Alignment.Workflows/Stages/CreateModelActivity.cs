using Alignment.Models.Checkpoints;
using Alignment.Tokenizers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.CreateModel</c>: a new Llama-architecture model with seeded random weights (Hugging Face's
/// initialization: normal(0, 0.02) linears and embeddings, unit norms) for a tokenizer, written as a Hugging Face
/// folder (config.json, generation_config.json, model.safetensors, the tokenizer's files). The vocabulary size and the
/// end-of-sequence and padding ids come from the tokenizer; the shape from the inputs. Same tokenizer, inputs and seed:
/// the same bytes, so the same artifact hash.
/// </summary>
public sealed class CreateModelActivity : IStageActivity
{
    public const string TypeName = "Alignment.CreateModel";

    /// <summary>Tokenizer files copied into the model folder when the tokenizer artifact has them.</summary>
    private static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model", "chat_template.jinja", "added_tokens.json"];

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Models", "Create model",
        "A new Llama-architecture model with seeded random weights for a tokenizer (from TrainTokenizer or any model folder), as a Hugging Face folder.",
        [
            new InputDescriptor("tokenizer", InputType.Artifact, "A folder with tokenizer.json and tokenizer_config.json (TrainTokenizer's output, or a model).",
                Required: true, ArtifactKind: ArtifactKind.Model) { TakesTokenizer = true },
            new InputDescriptor("hiddenSize", InputType.Integer, "Width of the residual stream (hidden_size).", Default: 128, Minimum: 1),
            new InputDescriptor("layers", InputType.Integer, "Decoder layers (num_hidden_layers).", Default: 4, Minimum: 1),
            new InputDescriptor("heads", InputType.Integer, "Attention heads (num_attention_heads); must divide hiddenSize.", Default: 4, Minimum: 1),
            new InputDescriptor("kvHeads", InputType.Integer, "Key/value heads (num_key_value_heads, grouped-query attention); must divide heads.", Default: 2, Minimum: 1),
            new InputDescriptor("intermediateSize", InputType.Integer, "Width of the SwiGLU MLP (intermediate_size).", Default: 384, Minimum: 1),
            new InputDescriptor("maxPositions", InputType.Integer, "Longest sequence the model is meant for (max_position_embeddings).", Default: 512, Minimum: 1),
            new InputDescriptor("tieEmbeddings", InputType.Boolean, "Share the input embedding with the output head (tie_word_embeddings).", Default: false),
            new InputDescriptor("seed", InputType.Integer, "Seed of the random initialization.", Default: 0, Minimum: 0),
        ],
        [
            new OutputDescriptor("model", OutputType.Artifact, "The new model folder (weights, config, tokenizer).", ArtifactKind.Model),
            new OutputDescriptor("parameters", OutputType.Number, "Number of parameters."),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var inputs = context.Inputs;
        string tokenizerDir = inputs.Artifact("tokenizer").Path;
        int hidden = Positive(inputs, "hiddenSize"), layers = Positive(inputs, "layers"), heads = Positive(inputs, "heads");
        int kvHeads = Positive(inputs, "kvHeads"), intermediate = Positive(inputs, "intermediateSize"), maxPositions = Positive(inputs, "maxPositions");
        if (hidden % heads != 0) throw new WorkflowException($"input 'heads': {heads} does not divide hiddenSize {hidden}");
        if (heads % kvHeads != 0) throw new WorkflowException($"input 'kvHeads': {kvHeads} does not divide heads {heads}");
        if ((hidden / heads) % 2 != 0) throw new WorkflowException($"hiddenSize / heads = {hidden / heads} must be even (rotary embeddings rotate pairs)");

        Tokenizer tokenizer;
        try { tokenizer = Tokenizer.FromFile(tokenizerDir); }
        catch (TokenizerException e) { throw new WorkflowException($"input 'tokenizer': {e.Message}"); }
        var eos = tokenizer.Eos ?? throw new WorkflowException("input 'tokenizer': tokenizer_config.json names no eos_token; the model needs one to stop");

        var config = TinyModels.Config(vocab: tokenizer.VocabSize, hidden: hidden, layers: layers, heads: heads, kvHeads: kvHeads,
                                       intermediate: intermediate, tied: inputs.Bool("tieEmbeddings")) with
        {
            MaxPositionEmbeddings = maxPositions,
            BosTokenId = tokenizer.Bos?.Id,
            EosTokenId = [eos.Id],
            PadTokenId = tokenizer.Pad?.Id,
        };
        long parameters = 0;
        context.WriteFolder("model", dir =>
        {
            TinyModels.CreateFolder(dir, config, (ulong)inputs.Long("seed"));
            foreach (string name in TokenizerFiles.Where(f => File.Exists(Path.Combine(tokenizerDir, f))))
                File.Copy(Path.Combine(tokenizerDir, name), Path.Combine(dir, name), overwrite: true);
            using var check = Models.Llama.LlamaForCausalLM.from_pretrained(dir);
            parameters = check.parameters().Sum(p => p.numel());
        });
        context.SetValue("parameters", parameters);
        context.Log($"llama: vocabulary {tokenizer.VocabSize}, hidden {hidden}, {layers} layers, {heads}/{kvHeads} heads, MLP {intermediate}: {parameters:N0} parameters");
        return Task.FromResult(StageResult.Completed);
    }

    private static int Positive(StageInputs inputs, string name)
    {
        int value = inputs.Int(name);
        return value >= 1 ? value : throw new WorkflowException($"input '{name}' must be at least 1, got {value}");
    }
}
