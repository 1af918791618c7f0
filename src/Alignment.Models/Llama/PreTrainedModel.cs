using Alignment.Models.Checkpoints;
using Alignment.Models.Core;
using Alignment.Torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Llama;

/// <summary>
/// What the Hugging Face-layout models share (transformers' PreTrainedModel): the configuration, the compute dtype, the
/// configuration's warnings, the folder the model was loaded from, the decoder as <c>model</c>, and the steps of
/// from_config, from_pretrained and save_pretrained that are the same for every head: checking the configuration,
/// disposing a half-built model when loading fails, refusing to save unmerged LoRA adapters, writing the folder.
/// </summary>
public abstract class PreTrainedModel : Module
{
    protected PreTrainedModel(LlamaConfig config, ScalarType dtype, IReadOnlyList<string> warnings)
    {
        this.config = config;
        this.dtype = dtype;
        this.warnings = warnings;
    }

    public LlamaConfig config { get; }

    /// <summary>The compute dtype the model was built in.</summary>
    public ScalarType dtype { get; }

    /// <summary>Limits of this configuration worth telling the user (e.g. a sliding window), from config validation.</summary>
    public IReadOnlyList<string> warnings { get; }

    /// <summary>The folder the model was loaded from (tokenizer files are copied from it on save), or null.</summary>
    public string? name_or_path { get; protected set; }

    /// <summary>The decoder (embeddings, layers, final norm).</summary>
    public LlamaModel model => (LlamaModel)get_submodule("model");

    /// <summary>Checks that <paramref name="dtype"/> runs on <paramref name="device"/> and validates the configuration
    /// (<paramref name="where"/> names it in errors); returns its warnings.</summary>
    public static IReadOnlyList<string> Check(LlamaConfig config, string where, ScalarType dtype, Device? device)
    {
        ComputeDtype.Check(dtype, device);
        return config.Validate(where);
    }

    /// <summary>The configuration in one line, for checkpoint errors.</summary>
    public static string Describe(LlamaConfig c) =>
        $"{c.ModelType}, vocab_size {c.Vocab}, hidden_size {c.Hidden}, intermediate_size {c.Intermediate}, {c.Layers} layers, " +
        $"{c.Heads} heads, {c.KeyValueHeads} kv heads, head_dim {c.HeadDim}, tie_word_embeddings {c.Tied.ToString().ToLowerInvariant()}";

    /// <summary>Runs <paramref name="fill"/> (initialization or loading) on a new model; disposes the model when it throws.</summary>
    protected static TModel Filled<TModel>(TModel model, Action<TModel> fill) where TModel : Module
    {
        try
        {
            fill(model);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A new model with random weights drawn as transformers' _init_weights does (see <see cref="ModelInit"/>).</summary>
    protected static TModel Initialized<TModel>(TModel model, Generator generator) where TModel : PreTrainedModel =>
        Filled(model, m => ModelInit.InitWeights(m, m.config.InitStd, generator));

    /// <summary>
    /// Throws when <paramref name="keys"/> hold LoRA adapter tensors (<c>.lora_A.</c> or <c>.lora_B.</c>): a saved folder
    /// would carry them beside the base weights, which transformers cannot open.
    /// </summary>
    public static void RefuseUnmergedLora(IEnumerable<string> keys)
    {
        var lora = keys.Where(k => k.Contains(".lora_A.", StringComparison.Ordinal) || k.Contains(".lora_B.", StringComparison.Ordinal)).ToList();
        if (lora.Count == 0) return;
        int adapters = lora.Select(k => k.Replace(".lora_B.", ".lora_A.", StringComparison.Ordinal)).Distinct().Count();
        throw new ModelException($"the model carries {adapters} unmerged LoRA adapter(s) (e.g. {lora[0]}): merge them into the base " +
                                 "weights first (LoraModel.merge_and_unload) or save the adapter alone (LoraModel.save_adapter)");
    }

    /// <summary>Writes a Hugging Face folder (see <see cref="PretrainedFolder.Save"/>) of <paramref name="tensors"/> with
    /// <paramref name="configJson"/>, generation_config.json from the configuration, and the tokenizer files of
    /// <see cref="name_or_path"/>; refuses unmerged LoRA adapters first.</summary>
    internal void SaveFolder(string folder, string configJson, IReadOnlyDictionary<string, Tensor> tensors, long maxShardBytes, bool overwrite)
    {
        RefuseUnmergedLora(tensors.Keys);
        PretrainedFolder.Save(folder, configJson, PretrainedFolder.GenerationConfigFrom(config.BosTokenId, config.EosTokenId, config.PadTokenId),
                              tensors, name_or_path, maxShardBytes, overwrite);
    }
}
