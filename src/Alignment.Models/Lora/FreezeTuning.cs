using Alignment.Torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Lora;

/// <summary>
/// Freeze tuning (LLaMA-Factory's "freeze" method): train only the last N decoder layers, optionally the token
/// embedding and the output head (lm_head, score or v_head), and freeze everything else. A head tied to the embedding
/// is one parameter: it is trainable when either is asked for.
/// </summary>
public static class FreezeTuning
{
    private static readonly string[] HeadPrefixes = ["lm_head.", "score.", "v_head."];

    /// <summary>Sets requires_grad on every parameter of <paramref name="model"/>.</summary>
    /// <param name="model">A model whose decoder layers are named <c>model.layers.N.</c>.</param>
    /// <param name="trainableLayers">How many of the last decoder layers to train (0 .. num layers).</param>
    /// <param name="trainEmbeddings">Also train model.embed_tokens.</param>
    /// <param name="trainHead">Also train the output head.</param>
    /// <returns>Names of the trainable parameters.</returns>
    public static IReadOnlyList<string> TrainLastLayers(Module model, int trainableLayers, bool trainEmbeddings = false, bool trainHead = false)
    {
        var named = model.named_parameters().ToList();
        int layers = named.Select(p => LayerIndex(p.name)).Where(i => i >= 0).DefaultIfEmpty(-1).Max() + 1;
        if (layers == 0) throw new ModelException("the model has no model.layers.N parameters to freeze-tune");
        if (trainableLayers < 0 || trainableLayers > layers)
            throw new ModelException($"trainable layers must be between 0 and {layers} (the model's layers), got {trainableLayers}");
        int first = layers - trainableLayers;

        var trainable = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in named)
        {
            int layer = LayerIndex(name);
            bool train = (layer >= first)
                         || (trainEmbeddings && name.StartsWith("model.embed_tokens.", StringComparison.Ordinal))
                         || (trainHead && HeadPrefixes.Any(h => name.StartsWith(h, StringComparison.Ordinal)));
            if (train) trainable.Add(p);
        }
        // A tied head shares the embedding's Parameter; named_parameters lists it once, under the embedding.
        if (trainHead && model.state_dict().TryGetValue("lm_head.weight", out var head) && head is Parameter hp) trainable.Add(hp);

        foreach (var (_, p) in named) p.requires_grad = trainable.Contains(p);
        return named.Where(p => trainable.Contains(p.parameter)).Select(p => p.name).ToList();
    }

    // N for "model.layers.N.…", else -1.
    private static int LayerIndex(string name)
    {
        const string prefix = "model.layers.";
        if (!name.StartsWith(prefix, StringComparison.Ordinal)) return -1;
        int end = name.IndexOf('.', prefix.Length);
        return end > 0 && int.TryParse(name.AsSpan(prefix.Length, end - prefix.Length), out int i) ? i : -1;
    }
}
