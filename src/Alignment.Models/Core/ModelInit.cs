using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Core;

/// <summary>
/// Random initialization as transformers' LlamaPreTrainedModel._init_weights: every <see cref="LoraLinear"/> weight
/// (projections, lm_head, score) ~ N(0, initializer_range²) with zero bias, the token embedding ~ N(0, initializer_range²)
/// with the padding row zeroed, every RMSNorm weight = 1. LoRA factors are left alone. Values are drawn in float32 on
/// the CPU from <paramref name="generator"/> in module order and then cast and moved, so one seed gives the same model
/// in every dtype and on every device; a tied weight is drawn once.
/// </summary>
public static class ModelInit
{
    /// <param name="module">The model.</param>
    /// <param name="std">initializer_range.</param>
    /// <param name="generator">Draws every weight.</param>
    /// <param name="drawn">Offered each linear layer's freshly drawn float32 weight before it is copied in; returning
    /// true takes it instead (e.g. to quantize it), so the layer's own float weight is never written and the float
    /// weights never all become resident at once.</param>
    public static void InitWeights(Module module, double std, Generator generator, Func<LoraLinear, Tensor, bool>? drawn = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var done = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        using var noGrad = no_grad();
        foreach (var (_, m) in module.named_modules())
        {
            switch (m)
            {
                case LoraLinear { quantized: null } lin:   // a 4-bit layer was drawn before it was quantized
                    if (lin.bias is { } b && done.Add(b)) b.zero_();
                    if (done.Add(lin.weight)) Fill(lin.weight, t => t.normal_(0, std, generator), drawn is null ? null : t => drawn(lin, t));
                    break;
                case TokenEmbedding emb:
                    if (!done.Add(emb.weight)) break;
                    Fill(emb.weight, t =>
                    {
                        t.normal_(0, std, generator);
                        if (emb.padding_idx is long row)
                        {
                            using var r = t.select(0, row);
                            r.zero_();
                        }
                    });
                    break;
                case RMSNorm norm:
                    if (done.Add(norm.weight)) norm.weight.fill_(1);
                    break;
            }
        }
    }

    private static void Fill(Tensor target, Action<Tensor> draw, Func<Tensor, bool>? take = null)
    {
        using var scope = NewDisposeScope();
        var t = empty(target.shape, float32);
        draw(t);
        if (take?.Invoke(t) == true) return;
        target.copy_(t);
    }
}
