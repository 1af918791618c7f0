using Alignment.Models.Quantization;
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
/// <para>The base weight may instead be held 4-bit (<see cref="quantize_"/>, or a bitsandbytes checkpoint through
/// <see cref="set_quantized"/>): there is then no "weight" parameter, the forward pass runs
/// <c>functional.linear_4bit</c> (the weight dequantized a band of rows at a time, frozen) and the adapter trains on top
/// (QLoRA).</para>
/// </summary>
public sealed class LoraLinear : Module<Tensor, Tensor>
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

    /// <summary>The float base weight; a 4-bit layer has none (see <see cref="quantized"/>).</summary>
    public Parameter weight => quant4 is null ? own_parameter("weight")
        : throw new ModelException($"{name}: the base weight is held 4-bit ({quant4.QuantType}); use quantized.Dequantize(dtype) for a float copy");

    private Quant4Weight? quant4;
    private ScalarType quantComputeDtype;

    /// <summary>The 4-bit base weight, or null for a float layer.</summary>
    public Quant4Weight? quantized => quant4;

    /// <summary>The dtype the layer computes in: its weight's, or for a 4-bit layer the compute dtype it was given.</summary>
    public ScalarType base_dtype => quant4 is null ? weight.dtype : quantComputeDtype;

    /// <summary>The device of the base weight (4-bit layers live on the CPU).</summary>
    public Device base_device => quant4 is null ? weight.device : Device.CPU;

    /// <summary>Replaces the float weight by its 4-bit form (bitsandbytes' NF4/FP4 with optional double quantization);
    /// the layer then computes in the weight's former dtype. Before adapters only.</summary>
    /// <param name="options">NF4/FP4, double quantization, blocksize.</param>
    /// <param name="source">The float weight to quantize instead of the layer's own (e.g. read from a checkpoint, so
    /// the layer's uninitialized weight is never filled); of the layer's dtype and shape.</param>
    public void quantize_(QuantizationOptions options, Tensor? source = null)
    {
        if (quant4 is not null) throw new ModelException($"{name} is already 4-bit");
        var w = weight;
        Check4bit(w.dtype, w.device);
        set_quantized(Quant4Weight.Quantize(source ?? w, options), w.dtype);
    }

    /// <summary>Takes a 4-bit weight (e.g. read from a bitsandbytes checkpoint) in place of the float one, which is
    /// disposed; the layer owns <paramref name="q"/> from now on.</summary>
    /// <param name="computeDtype">What the layer computes in (float32, bfloat16 or float64).</param>
    public void set_quantized(Quant4Weight q, ScalarType computeDtype)
    {
        if (has_lora) throw new ModelException($"{name}: quantize the base weight before adding a LoRA adapter");
        if (q.OutFeatures != out_features || q.InFeatures != in_features)
            throw new ModelException($"{name}: a 4-bit weight of shape [{q.OutFeatures}, {q.InFeatures}] does not fit a [{out_features}, {in_features}] layer");
        Check4bit(computeDtype, quant4 is null ? weight.device : Device.CPU);
        remove_parameter("weight")?.Dispose();
        quant4?.Dispose();
        quant4 = q;
        quantComputeDtype = computeDtype;
    }

    private void Check4bit(ScalarType dtype, Device device)
    {
        if (device.type != DeviceType.CPU)
            throw new ModelException($"{name}: 4-bit weights run on the CPU kernel only; the layer is on {device}");
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float64))
            throw new ModelException($"{name}: the 4-bit compute dtype must be float32, bfloat16 or float64, got {dtype.TorchName()}");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) quant4?.Dispose();
        quant4 = null;
        base.Dispose(disposing);
    }
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
        if (r < 1) throw new ModelException($"LoRA rank r must be at least 1, got {r}");
        if (!(dropout >= 0 && dropout < 1)) throw new ModelException($"lora_dropout must be in [0, 1), got {dropout}");
        var device = base_device;
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
        if (quant4 is not null)
            throw new ModelException($"{name}: the base weight is 4-bit; an adapter cannot be merged into it without re-quantizing (a lossy step). " +
                                     "Save the adapter (PEFT format) and merge it into the float model instead");
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
        var y = quant4 is null ? F.linear(x, weight, bias)
            : F.linear_4bit(x.dtype == quantComputeDtype ? x : x.to(quantComputeDtype), quant4.Packed, quant4.Absmax, quant4.Code,
                            out_features, in_features, quant4.Blocksize, bias);
        if (!has_lora || !lora_enabled) return y;
        using var scope = NewDisposeScope();
        var a = lora_A;
        var h = x.dtype == a.dtype ? x : x.to(a.dtype);
        if (lora_dropout > 0) h = F.dropout(h, lora_dropout, training);
        var update = F.linear(F.linear(h, a), lora_B).mul(scaling);  // (..., out)
        return y.add(update.dtype == y.dtype ? update : update.to(y.dtype)).MoveToOuterScope();
    }
}
