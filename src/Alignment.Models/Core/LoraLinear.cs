using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Core;

/// <summary>
/// A linear layer <c>y = x·Wᵀ + b</c> (parameters "weight" (out, in) and "bias" (out), Hugging Face names) that can carry
/// a LoRA adapter as PEFT's lora.Linear does: <c>y += lora_B(lora_A(dropout(x))) · scaling</c> with lora_A (r, in)
/// initialized kaiming-uniform(a = √5), i.e. U(±1/√in), lora_B (out, r) zeros, and scaling = alpha / r
/// (rsLoRA: alpha / √r). The adapter's parameters are children "lora_A" and "lora_B", so their state_dict keys are
/// <c>q_proj.lora_A.weight</c>, PEFT's saved names.
/// <para>The base weight is created uninitialized (torch.empty): loading fills it, <see cref="ModelInit"/> draws it.</para>
/// </summary>
public sealed partial class LoraLinear : Module<Tensor, Tensor>
{
    /// <summary>An uninitialized (out, in) layer.</summary>
    public LoraLinear(long in_features, long out_features, bool bias, ScalarType dtype, Device? device = null)
    {
        this.in_features = in_features;
        this.out_features = out_features;
        register_parameter("weight", new Parameter(empty(new[] { out_features, in_features }, dtype, device)));
        if (bias) register_parameter("bias", new Parameter(empty(new[] { out_features }, dtype, device)));
    }

    /// <summary>A bias-free layer over an existing (out, in) weight, e.g. an lm_head tied to the token embedding.</summary>
    public LoraLinear(Parameter tiedWeight)
    {
        var s = tiedWeight.shape;
        out_features = s[0];
        in_features = s[1];
        register_parameter("weight", tiedWeight);
    }

    public long in_features { get; }
    public long out_features { get; }

    public Parameter weight => own_parameter("weight");
    public Parameter? bias => find_parameter("bias");

    // ---- LoRA ----

    /// <summary>The adapter's rank (0 when there is none).</summary>
    public int lora_r { get; private set; }

    /// <summary>The adapter's alpha.</summary>
    public double lora_alpha { get; private set; }

    /// <summary>Dropout probability on the adapter's input (training mode only).</summary>
    public double lora_dropout { get; private set; }

    /// <summary>True when scaling is alpha / √r (rank-stabilized LoRA).</summary>
    public bool use_rslora { get; private set; }

    /// <summary>alpha / r, or alpha / √r with rsLoRA; 0 without an adapter.</summary>
    public double scaling => lora_r == 0 ? 0 : use_rslora ? lora_alpha / Math.Sqrt(lora_r) : lora_alpha / lora_r;

    public bool has_lora => lora_r > 0;

    /// <summary>False while the adapter is switched off (<see cref="Lora.LoraModel.disable_adapters"/>): the layer is then
    /// its base weights alone, as PEFT's <c>disable_adapter()</c> context does.</summary>
    public bool lora_enabled { get; set; } = true;

    /// <summary>lora_A (r, in); throws without an adapter.</summary>
    public Parameter lora_A => ((Linear)get_submodule("lora_A")).weight;

    /// <summary>lora_B (out, r); throws without an adapter.</summary>
    public Parameter lora_B => ((Linear)get_submodule("lora_B")).weight;

    /// <summary>Adds a LoRA adapter (PEFT's initialization: A ~ U(±1/√in) from <paramref name="generator"/>, B = 0) and
    /// freezes nothing by itself (<see cref="Alignment.Models.Lora.LoraModel.add_adapters"/> freezes the base).</summary>
    /// <param name="r">Rank, at least 1.</param>
    /// <param name="alpha">Scaling numerator.</param>
    /// <param name="dropout">Dropout on the adapter input in training mode, in [0, 1).</param>
    /// <param name="rslora">Scale by alpha/√r instead of alpha/r.</param>
    /// <param name="dtype">Adapter dtype; float32 keeps small updates from rounding away under a bf16/f16 base
    /// (PEFT's autocast_adapter_dtype), the input is cast to it and the update cast back.</param>
    /// <param name="generator">Seeds lora_A's draw.</param>
    public void add_lora(int r, double alpha, double dropout, bool rslora, ScalarType dtype, Generator? generator)
    {
        if (has_lora) throw new ModelException($"{name} already has a LoRA adapter");
        if (has_ia3) throw new ModelException($"{name} carries an IA3 vector; LoRA and IA3 on one layer are not supported");
        if (r < 1) throw new ModelException($"LoRA rank r must be at least 1, got {r}");
        if (!(dropout >= 0 && dropout < 1)) throw new ModelException($"lora_dropout must be in [0, 1), got {dropout}");
        var device = weight.device;
        var a = new Linear(in_features, r, bias: false, dtype: dtype, device: device, generator: generator);
        var b = new Linear(r, out_features, bias: false, dtype: dtype, device: device, generator: generator);
        using (no_grad()) b.weight.zero_();
        a.train(training);
        b.train(training);
        register_module("lora_A", a);
        register_module("lora_B", b);
        lora_r = r;
        lora_alpha = alpha;
        lora_dropout = dropout;
        use_rslora = rslora;
    }

    /// <summary>Folds the adapter into the base weight, <c>W += scaling · B·A</c> (computed in float32, cast to W's
    /// dtype), and removes it.</summary>
    public void merge_lora()
    {
        if (!has_lora) return;
        using (no_grad())
        using (NewDisposeScope())
        {
            var delta = lora_B.to(float32).matmul(lora_A.to(float32)).mul(scaling);  // (out, in)
            weight.add_(delta.to(weight.dtype));
        }
        remove_lora();
    }

    /// <summary>Drops the adapter without merging it.</summary>
    public void remove_lora()
    {
        if (!has_lora) return;
        remove_module("lora_A")?.Dispose();
        remove_module("lora_B")?.Dispose();
        lora_r = 0;
    }

    /// <summary>x (..., in) → (..., out).</summary>
    public override Tensor forward(Tensor x)
    {
        if (has_ia3) return Ia3Forward(x);
        var y = F.linear(x, weight, bias);
        if (!has_lora || !lora_enabled) return y;
        using var scope = NewDisposeScope();
        var a = lora_A;
        var h = x.dtype == a.dtype ? x : x.to(a.dtype);
        if (lora_dropout > 0) h = F.dropout(h, lora_dropout, training);
        var update = F.linear(F.linear(h, a), lora_B).mul(scaling);  // (..., out)
        return y.add(update.dtype == y.dtype ? update : update.to(y.dtype)).MoveToOuterScope();
    }
}
