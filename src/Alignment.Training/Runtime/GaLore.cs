using Alignment.Models.Lora;
using Alignment.Torch;
using Alignment.Training.Config;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;
using static Alignment.Torch.torch.optim;

namespace Alignment.Training.Runtime;

/// <summary>
/// Builds GaLore's optimizer as LLaMA-Factory does for use_galore: the weights of the galore_target linear layers
/// ("all": every linear layer of the decoder layers, never lm_head) are projected; every other trainable parameter is
/// in a plain group of the same optimizer (decay on matrices, none on biases and norms).
/// </summary>
public static class GaLore
{
    public static GaLoreAdamW Create(TrainableModel model, CommonOptions o)
    {
        var targets = Targets(model.Module, o.GaloreTarget);
        var trainable = model.Trainable();
        var projected = trainable.Where(t => targets.Contains(t.name)).ToList();
        var rest = trainable.Where(t => !targets.Contains(t.name)).ToList();
        var groups = ParamGroup.with_weight_decay(rest, o.WeightDecay).Append(new ParamGroup(projected, weight_decay: o.WeightDecay)).ToList();
        try
        {
            // eps 1e-8: transformers' TrainingArguments.adam_epsilon, which LLaMA-Factory passes to GaLoreAdamW.
            return new GaLoreAdamW(groups, [groups.Count - 1], o.GaloreRank, o.GaloreUpdateInterval, o.GaloreScale, o.GaloreProjType,
                                   o.LearningRate, o.AdamBeta1, o.AdamBeta2, eps: 1e-8, weight_decay: o.WeightDecay);
        }
        catch (TorchException e)
        {
            throw new ConfigException($"use_galore: {e.Message}");
        }
    }

    /// <summary>The parameter names ("….q_proj.weight") of the targeted layers; throws for a name that matches none.</summary>
    public static HashSet<string> Targets(Module module, string galoreTarget)
    {
        var layers = LoraModel.LinearLayers(module).ToList();
        var wanted = galoreTarget.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        bool all = wanted.Length == 1 && wanted[0] == "all";
        var leaves = layers.Select(l => l.name[(l.name.LastIndexOf('.') + 1)..]).ToHashSet();
        var unknown = all ? [] : wanted.Where(w => !leaves.Contains(w)).ToList();
        if (wanted.Length == 0 || unknown.Count > 0)
            throw new ConfigException($"option 'galore_target' names [{string.Join(", ", unknown)}], which match no linear layer; this model has " +
                                      $"[{string.Join(", ", leaves.Order())}] (or use all)");
        return layers.Where(l => all || wanted.Contains(l.name[(l.name.LastIndexOf('.') + 1)..])).Select(l => l.name + ".weight").ToHashSet();
    }

    /// <summary>Optimizer-state bytes of AdamW (two moments per trainable parameter) and of GaLore for the same
    /// model and options, computed from the shapes (what the states hold once every parameter has stepped).</summary>
    public static (long adamw, long galore) StateBytes(TrainableModel model, CommonOptions o)
    {
        var targets = Targets(model.Module, o.GaloreTarget);
        long adamw = 0, galore = 0;
        foreach (var (name, p) in model.Trainable())
        {
            long size = p.element_size(), numel = p.numel();
            adamw += 2 * numel * size;
            if (!targets.Contains(name)) { galore += 2 * numel * size; continue; }
            long m = p.shape[0], n = p.shape[1], r = o.GaloreRank;
            bool right = GaLoreAdamW.projects_right(o.GaloreProjType, m, n);
            galore += (right ? 2 * m * r + r * n : 2 * r * n + m * r) * size;
        }
        return (adamw, galore);
    }
}
