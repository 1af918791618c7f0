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
/// <c>q_proj.lora_A.weight</c>, PEFT's saved names; DoRA adds the parameter <c>q_proj.lora_magnitude_vector</c>, the
/// name PEFT saves it under. PiSSA and OLoRA start A and B from the weight's SVD / QR and leave the residual as base.
/// <para>The base weight is created uninitialized (torch.empty): loading fills it, <see cref="ModelInit"/> draws it.</para>
/// <para>The base weight may instead be held 4-bit or 8-bit (<see cref="quantize_"/>, or a bitsandbytes checkpoint through
/// <see cref="set_quantized"/>): there is then no "weight" parameter, the forward pass runs
/// <c>functional.linear_4bit</c> / <c>linear_8bit</c> (the weight dequantized a band of rows at a time, frozen) and the
/// adapter trains on top (QLoRA).</para>
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

    /// <summary>The float base weight; a quantized layer has none (see <see cref="quantized"/>).</summary>
    public Parameter weight => quant is null ? own_parameter("weight")
        : throw new ModelException($"{name}: the base weight is held {quant.Kind}; use quantized.Dequantize(dtype) for a float copy");

    private IQuantizedWeight? quant;
    private ScalarType quantComputeDtype;

    /// <summary>The quantized (4-bit or int8) base weight, or null for a float layer.</summary>
    public IQuantizedWeight? quantized => quant;

    /// <summary>The dtype the layer computes in: its weight's, or for a quantized layer the compute dtype it was given.</summary>
    public ScalarType base_dtype => quant is null ? weight.dtype : quantComputeDtype;

    /// <summary>The device of the base weight (quantized layers live on the CPU).</summary>
    public Device base_device => quant is null ? weight.device : Device.CPU;

    /// <summary>Replaces the float weight by its quantized form (bitsandbytes' NF4/FP4 with optional double
    /// quantization, or with <c>Bits</c> 8 int8 per row); the layer then computes in the weight's former dtype.
    /// Before adapters only.</summary>
    /// <param name="options">Bits; for 4 bits NF4/FP4, double quantization, blocksize.</param>
    /// <param name="source">The float weight to quantize instead of the layer's own (e.g. read from a checkpoint, so
    /// the layer's uninitialized weight is never filled); of the layer's dtype and shape.</param>
    public void quantize_(QuantizationOptions options, Tensor? source = null)
    {
        if (quant is not null) throw new ModelException($"{name} is already {quant.Kind}");
        var w = weight;
        CheckQuantizable(w.dtype, w.device);
        set_quantized(options.Bits == 8 ? Quant8Weight.Quantize(source ?? w) : Quant4Weight.Quantize(source ?? w, options), w.dtype);
    }

    /// <summary>Takes a quantized weight (e.g. read from a bitsandbytes checkpoint) in place of the float one, which is
    /// disposed; the layer owns <paramref name="q"/> from now on.</summary>
    /// <param name="computeDtype">What the layer computes in (float32, bfloat16 or float64).</param>
    public void set_quantized(IQuantizedWeight q, ScalarType computeDtype)
    {
        if (has_lora) throw new ModelException($"{name}: quantize the base weight before adding a LoRA adapter");
        if (q.OutFeatures != out_features || q.InFeatures != in_features)
            throw new ModelException($"{name}: a {q.Kind} weight of shape [{q.OutFeatures}, {q.InFeatures}] does not fit a [{out_features}, {in_features}] layer");
        CheckQuantizable(computeDtype, quant is null ? weight.device : Device.CPU);
        remove_parameter("weight")?.Dispose();
        quant?.Dispose();
        quant = q;
        quantComputeDtype = computeDtype;
    }

    private void CheckQuantizable(ScalarType dtype, Device device)
    {
        if (device.type != DeviceType.CPU)
            throw new ModelException($"{name}: quantized weights run on the CPU kernel only; the layer is on {device}");
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float64))
            throw new ModelException($"{name}: the quantized layer's compute dtype must be float32, bfloat16 or float64, got {dtype.TorchName()}");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) quant?.Dispose();
        quant = null;
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

    /// <summary>DoRA (weight-decomposed LoRA): the layer carries a trainable magnitude vector
    /// <c>lora_magnitude_vector</c> (out) and computes <c>m / ‖W + scaling·B·A‖_row · (W + scaling·B·A)·x</c>.</summary>
    public bool use_dora { get; private set; }

    /// <summary>How the adapter was initialized, as PEFT's init_lora_weights value: "true", "false", "gaussian",
    /// "pissa", "pissa_niter_K" or "olora".</summary>
    public string lora_init { get; private set; } = "true";

    /// <summary>DoRA's magnitude (out), PEFT's saved name <c>…q_proj.lora_magnitude_vector</c>; throws without DoRA.</summary>
    public Parameter lora_magnitude_vector => own_parameter("lora_magnitude_vector");

    /// <summary>lora_A and lora_B as PiSSA/OLoRA initialized them (the base weight is then the residual
    /// <c>W − scaling·B₀·A₀</c>); null for the other initializations. Saving converts to a plain LoRA with them.</summary>
    public (Tensor A, Tensor B)? lora_initial { get; private set; }

    /// <summary>Adds a LoRA adapter (PEFT's initialization: A ~ U(±1/√in) from <paramref name="generator"/>, B = 0) and
    /// freezes nothing by itself (<see cref="Alignment.Models.Lora.LoraModel.add_adapters"/> freezes the base).</summary>
    /// <param name="r">Rank, in [1, min(in, out)].</param>
    /// <param name="alpha">Scaling numerator.</param>
    /// <param name="dropout">Dropout on the adapter input in training mode, in [0, 1).</param>
    /// <param name="rslora">Scale by alpha/√r instead of alpha/r.</param>
    /// <param name="dtype">Adapter dtype; float32 keeps small updates from rounding away under a bf16/f16 base
    /// (PEFT's autocast_adapter_dtype), the input is cast to it and the update cast back.</param>
    /// <param name="generator">Seeds lora_A's draw (and PiSSA's randomized SVD).</param>
    /// <param name="dora">Add DoRA's magnitude vector, initialized (after <paramref name="init"/>) to the row norms
    /// <c>‖W + scaling·B·A‖</c> as PEFT's dora_init does, so the layer starts unchanged.</param>
    /// <param name="init">PEFT's init_lora_weights: "true" (A kaiming-uniform, B zero), "false" (B kaiming-uniform too:
    /// the layer changes at once), "gaussian" (A ~ N(0, 1/r), B zero), "pissa" (full SVD), "pissa_niter_K"
    /// (torch.svd_lowrank with K subspace iterations) or "olora" (QR); the last three rewrite the base weight.</param>
    public void add_lora(int r, double alpha, double dropout, bool rslora, ScalarType dtype, Generator? generator, bool dora = false, string init = "true")
    {
        if (has_lora) throw new ModelException($"{name} already has a LoRA adapter");
        if (has_ia3) throw new ModelException($"{name} carries an IA3 vector; LoRA and IA3 on one layer are not supported");
        if (r < 1) throw new ModelException($"LoRA rank r must be at least 1, got {r}");
        if (r > Math.Min(in_features, out_features))
            throw new ModelException($"LoRA rank r = {r} is above the layer's size ({out_features} × {in_features}): B·A cannot have a rank above {Math.Min(in_features, out_features)}");
        if (!(dropout >= 0 && dropout < 1)) throw new ModelException($"lora_dropout must be in [0, 1), got {dropout}");
        int pissaNiter = ParseInit(init);
        if (quant is not null && (dora || init is not ("true" or "false" or "gaussian")))
            throw new ModelException($"{name} holds a {quant.Kind} weight: DoRA and PiSSA/OLoRA init need the float weight (use plain LoRA on a quantized base)");
        var device = base_device;
        var a = new Linear(in_features, r, bias: false, dtype: dtype, device: device, generator: generator);
        var b = new Linear(r, out_features, bias: false, dtype: dtype, device: device, generator: generator);
        using (no_grad())
        {
            // PEFT's reset_lora_parameters: True keeps nn.Linear's kaiming-uniform(a = √5) A and zeroes B; "gaussian"
            // draws A ~ N(0, (1/r)²) (nn.init.normal_(std = 1/r)) and zeroes B; False leaves both as drawn.
            if (init == "gaussian")
                using (NewDisposeScope()) a.weight.copy_(randn(a.weight.shape, dtype, device, generator: generator).mul(1.0 / r));
            if (init != "false") b.weight.zero_();
        }
        a.train(training);
        b.train(training);
        register_module("lora_A", a);
        register_module("lora_B", b);
        lora_r = r;
        lora_alpha = alpha;
        lora_dropout = dropout;
        use_rslora = rslora;
        lora_init = init;
        if (init == "olora") InitOlora();
        else if (init.StartsWith("pissa", StringComparison.Ordinal)) InitPissa(pissaNiter, generator);
        if (dora)
        {
            // PEFT's dora_init: magnitude = ‖W + scaling·B·A‖ per output row, after the init above.
            using var scope = NewDisposeScope();
            var norm = WeightNorm(weight.to(dtype), dtype);
            register_parameter("lora_magnitude_vector", new Parameter(norm.detach().clone()));
            use_dora = true;
        }
    }

    /// <summary>The PiSSA subspace iterations of "pissa_niter_K" (K), -1 for "pissa" (full SVD), 0 for the others;
    /// throws for values PEFT has that are not implemented here.</summary>
    public static int ParseInit(string init)
    {
        if (init is "true" or "false" or "gaussian" or "olora") return 0;
        if (init == "pissa") return -1;
        const string prefix = "pissa_niter_";
        if (init.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(init[prefix.Length..], out int k) && k >= 0) return k;
        throw new ModelException($"init_lora_weights '{init}' is not supported; use true, false, gaussian, pissa, pissa_niter_K (K >= 0) or olora");
    }

    // PEFT's pissa_init, in float32: W = V·diag(S)·Uh (full_matrices false, or torch.svd_lowrank(W, r, niter) for
    // pissa_niter_K), S_r /= scaling, A = diag(√S_r)·Uh_r, B = V_r·diag(√S_r), and the base becomes the residual
    // W − scaling·B·A (cast back to its dtype).
    private void InitPissa(int niter, Generator? generator)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = weight.to(float32);
        Tensor vr, sr, uhr;
        if (niter < 0)
        {
            var (v, s, uh) = linalg.svd(w);
            vr = v.narrow(1, 0, lora_r);
            sr = s.narrow(0, 0, lora_r).div(scaling);
            uhr = uh.narrow(0, 0, lora_r);
        }
        else
        {
            var (v, s, u) = svd_lowrank(w, lora_r, niter, generator);
            vr = v;
            sr = s.div(scaling);
            uhr = u.t();
        }
        var root = sr.sqrt();
        var a = uhr.mul(root.unsqueeze(1));   // diag(√S_r)·Uh_r
        var b = vr.mul(root.unsqueeze(0));    // V_r·diag(√S_r)
        SetInitial(w, a, b);
    }

    // PEFT's olora_init, in float32: W = Q·R (reduced QR), A = R[:r], B = Q[:, :r], base = W − scaling·B·A.
    private void InitOlora()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = weight.to(float32);
        var (q, rr) = linalg.qr(w);
        SetInitial(w, rr.narrow(0, 0, lora_r).contiguous(), q.narrow(1, 0, lora_r).contiguous());
    }

    private void SetInitial(Tensor w32, Tensor a, Tensor b)
    {
        var residual = w32.sub(b.matmul(a).mul(scaling));
        weight.copy_(residual.to(weight.dtype));
        lora_A.copy_(a.to(lora_A.dtype));
        lora_B.copy_(b.to(lora_B.dtype));
        lora_initial = (lora_A.detach().clone().MoveToOuterScope(), lora_B.detach().clone().MoveToOuterScope());
    }

    // ‖W + scaling·B·A‖ per output row (PEFT's DoraLinearLayer.get_weight_norm: torch.linalg.norm(W + scaling·BA, dim=1)),
    // W already in the adapter's dtype; no gradient flows through it.
    private Tensor WeightNorm(Tensor w, ScalarType dtype)
    {
        using var noGrad = no_grad();
        var lora = lora_B.matmul(lora_A);
        return w.add(lora.mul(scaling)).square().sum(1).sqrt();
    }

    /// <summary>Folds the adapter into the base weight and removes it: <c>W += scaling · B·A</c> (PEFT's merge), or
    /// with DoRA <c>W = m / ‖W + scaling·B·A‖_row · (W + scaling·B·A)</c> (PEFT's DoRA merge); computed in float32,
    /// cast to W's dtype.</summary>
    public void merge_lora()
    {
        if (!has_lora) return;
        if (quant is not null)
            throw new ModelException($"{name}: the base weight is {quant.Kind}; an adapter cannot be merged into it without re-quantizing (a lossy step). " +
                                     "Save the adapter (PEFT format) and merge it into the float model instead");
        using (no_grad())
        using (NewDisposeScope())
        {
            var delta = lora_B.to(float32).matmul(lora_A.to(float32)).mul(scaling);  // (out, in)
            if (!use_dora) weight.add_(delta.to(weight.dtype));
            else
            {
                var merged = weight.to(float32).add(delta);
                var norm = merged.square().sum(1).sqrt();
                weight.copy_(merged.mul(lora_magnitude_vector.to(float32).div(norm).unsqueeze(1)).to(weight.dtype));
            }
        }
        remove_lora();
    }

    /// <summary>Drops the adapter without merging it (a PiSSA/OLoRA base stays the residual).</summary>
    public void remove_lora()
    {
        if (!has_lora) return;
        remove_module("lora_A")?.Dispose();
        remove_module("lora_B")?.Dispose();
        if (use_dora) remove_parameter("lora_magnitude_vector")?.Dispose();
        if (lora_initial is { } init)
        {
            init.A.Dispose();
            init.B.Dispose();
            lora_initial = null;
        }
        lora_r = 0;
        use_dora = false;
        lora_init = "true";
    }

    // ---- quantization-aware training ----

    /// <summary>Fake-quantize the weight to this many bits (8 or 4; 0 = off) in the forward, per output channel,
    /// symmetric, with a straight-through gradient (<see cref="FakeQuant"/>).</summary>
    public int qat_bits
    {
        get => qatBits;
        set
        {
            if (value != 0) FakeQuant.QMax(value);
            qatBits = value;
        }
    }
    private int qatBits;

    /// <summary>Fake-quantize the input to int8 (per tensor, dynamic) in the forward; set with <see cref="qat_bits"/> for
    /// training, alone on a model whose weights were loaded from an int export.</summary>
    public bool qat_activations { get; set; }

    /// <summary>False while fake quantization is switched off (the float model, for comparison).</summary>
    public bool qat_enabled { get; set; } = true;

    /// <summary>x (..., in) → (..., out).</summary>
    public override Tensor forward(Tensor x) => forward(x, baseValueUnused: false);

    /// <summary>A quantized base weight's product inside a checkpointed block is kept for backward's rerun instead
    /// of computed again there (<c>functional.linear_4bit</c>'s keep_for_rerun): set by the model on the projections
    /// whose products are small next to what recomputing them costs.</summary>
    public bool keep_base_for_rerun { get; set; }

    /// <summary><see cref="forward(Tensor)"/>; with <paramref name="baseValueUnused"/> the caller reads only the
    /// gradient path of the result, not its values (the last projection of a block that gradient checkpointing reruns:
    /// see <see cref="Checkpointed.Recomputing"/>), and the base weight's product is then not computed (its backward is
    /// unchanged: <c>functional.linear_4bit</c>'s value_unused for a quantized weight,
    /// <c>functional.linear_value_unused</c> for a float one). DoRA reads the base product's values, so it always
    /// computes it.</summary>
    public Tensor forward(Tensor x, bool baseValueUnused)
    {
        if ((qatBits != 0 || qat_activations) && qat_enabled)
        {
            if (has_lora) throw new ModelException($"{name}: quantization-aware training and a LoRA adapter on one layer are not supported");
            using var q = NewDisposeScope();
            var xin = qat_activations ? FakeQuant.ActivationSte(x) : x;
            return F.linear(xin, qatBits != 0 ? FakeQuant.WeightSte(weight, qatBits) : weight, bias).MoveToOuterScope();
        }
        if (has_ia3) return Ia3Forward(x);
        bool skipBase = baseValueUnused && !use_dora;
        var y = quant is not null ? quant.Linear(x.dtype == quantComputeDtype ? x : x.to(quantComputeDtype), bias, skipBase, keep_base_for_rerun)
            : skipBase ? F.linear_value_unused(x, weight, bias) : F.linear(x, weight, bias);
        if (!has_lora || !lora_enabled) return y;
        using var scope = NewDisposeScope();
        var a = lora_A;
        var h = x.dtype == a.dtype ? x : x.to(a.dtype);
        bool drop = lora_dropout > 0 && training;
        // Without DoRA the dropped-out input feeds lora_A alone: one op that saves a byte mask, not two float tensors.
        if (drop && use_dora) h = F.dropout(h, lora_dropout, training);
        var lora = F.linear(drop && !use_dora ? F.dropout_linear(h, a, lora_dropout) : F.linear(h, a), lora_B);  // (..., out)
        Tensor update;
        if (!use_dora) update = lora.mul(scaling);
        else
        {
            // PEFT's DoraLinearLayer.forward: norm = ‖W + scaling·(B·A).detach()‖_row, detached (DoRA paper §4.3),
            // s = m / norm, update = (s − 1)·(W·x̃) + s·(B·A·x̃)·scaling, where x̃ is the dropped-out input when dropout
            // is active (W·x̃ recomputed) and W·x = y − bias otherwise.
            var w = weight.dtype == a.dtype ? weight : weight.to(a.dtype);
            var baseOut = drop ? F.linear(h, w) : (bias is null ? y : y.sub(bias));
            if (baseOut.dtype != a.dtype) baseOut = baseOut.to(a.dtype);
            var s = lora_magnitude_vector.div(WeightNorm(w, a.dtype));
            update = baseOut.mul(s.sub(1)).add(lora.mul(s).mul(scaling));
        }
        return y.add(update.dtype == y.dtype ? update : update.to(y.dtype)).MoveToOuterScope();
    }
}
