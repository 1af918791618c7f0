using Alignment.Models.Llama;
using Alignment.Torch;

namespace Alignment.Models.Checkpoints;

/// <summary>Small random models in Hugging Face format, for tests, benchmarks and the demo.</summary>
public static class TinyModels
{
    /// <summary>A small configuration of the given model_type (qwen2 gets its q/k/v biases and qwen3 its q/k norms by
    /// type; GQA when kvHeads &lt; heads).</summary>
    public static LlamaConfig Config(string modelType = "llama", int vocab = 64, int hidden = 32, int layers = 2, int heads = 4,
                                     int kvHeads = 2, int intermediate = 64, bool tied = false, int? headDim = null) => new()
    {
        ModelType = modelType,
        VocabSize = vocab,
        HiddenSize = hidden,
        IntermediateSize = intermediate,
        NumHiddenLayers = layers,
        NumAttentionHeads = heads,
        NumKeyValueHeads = kvHeads,
        HeadDimension = headDim ?? (modelType == "qwen3" ? hidden / heads : null),
        HiddenAct = "silu",
        MaxPositionEmbeddings = 2048,
        InitializerRange = 0.02,
        RmsNormEps = 1e-6,
        RopeTheta = 10000.0,
        TieWordEmbeddings = tied,
        BosTokenId = 1,
        EosTokenId = [2],
        UseSlidingWindow = modelType is "qwen2" or "qwen3" ? false : null,
    };

    /// <summary>Draws a model from <paramref name="config"/> with <paramref name="seed"/> and saves it as a Hugging Face
    /// folder (config.json, generation_config.json, model.safetensors) in <paramref name="dtype"/>.</summary>
    /// <returns>The folder's full path.</returns>
    public static string CreateFolder(string folder, LlamaConfig config, ulong seed, ScalarType dtype = ScalarType.Float32)
    {
        using var generator = new Generator(seed);
        using var model = LlamaForCausalLM.from_config(config, generator, dtype);
        model.save_pretrained(folder);
        return Path.GetFullPath(folder);
    }
}
