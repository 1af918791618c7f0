namespace Alignment.Training.Config;

/// <summary>`align train sft`: supervised fine-tuning on `{"messages"}` or `{"prompt","completion"}` rows (Alpaca and
/// ShareGPT too). The loss is the mean cross-entropy over answer tokens of the whole accumulated batch.</summary>
public sealed class SftOptions : CommonOptions
{
    public SftOptions() => LearningRate = 2e-5;
}

/// <summary>`align train rm`: a Bradley–Terry reward model on `{"prompt","chosen","rejected"}` (+ optional `margin`).</summary>
public sealed class RewardOptions : CommonOptions
{
    public RewardOptions() => LearningRate = 1e-4;

    [Option("use_margin", "Subtract the row's `margin` from the reward difference (−log σ(rc − rr − m)); rows without one use 0.")]
    public bool UseMargin { get; set; } = true;

    [Option("center_rewards_coefficient", "Centering penalty c·(rc + rr)² that keeps rewards near 0 (0 disables it; e.g. 0.01).")]
    public double CenterRewardsCoefficient { get; set; }

    public override void Validate()
    {
        base.Validate();
        if (!(CenterRewardsCoefficient >= 0)) throw new ConfigException($"option 'center_rewards_coefficient' must be >= 0, got {CenterRewardsCoefficient}");
    }
}

/// <summary>The DPO-family losses (their formulas are in Losses/DpoLoss.cs).</summary>
public enum DpoLossType
{
    /// <summary>−log σ(βh); with label_smoothing ε it is cDPO.</summary>
    Sigmoid,
    /// <summary>Robust DPO, unbiased under label noise ε = label_smoothing.</summary>
    Robust,
    /// <summary>SLiC hinge max(0, 1 − βh).</summary>
    Hinge,
    /// <summary>IPO (h̄ − 1/(2β))² on length-averaged log-ratios.</summary>
    Ipo,
    /// <summary>SimPO, reference-free: −log σ(β(p̄w − p̄l) − γ), γ = simpo_gamma·β.</summary>
    Simpo,
    /// <summary>ORPO, reference-free: NLL(yw) − β·log σ(log odds ratio).</summary>
    Orpo,
}

/// <summary>`align train dpo`: the DPO family on `{"prompt","chosen","rejected"}`.</summary>
public sealed class DpoOptions : CommonOptions
{
    public DpoOptions() => LearningRate = 5e-6;

    [StageInput("lossType", "Preference loss (loss_type).")]
    [Option("loss_type", "Preference loss: sigmoid, robust, hinge, ipo, simpo or orpo.")]
    public DpoLossType LossType { get; set; } = DpoLossType.Sigmoid;

    [StageInput("beta", "β: KL strength of DPO (τ of IPO, β of SimPO, λ of ORPO).")]
    [Option("beta", "β: the KL strength of DPO (τ of IPO, β of SimPO, λ of ORPO's odds-ratio term).")]
    public double Beta { get; set; } = 0.1;

    [Option("label_smoothing", "ε: assumed share of flipped labels (cDPO with sigmoid, robust DPO with robust), in [0, 0.5).")]
    public double LabelSmoothing { get; set; }

    [Option("simpo_gamma", "SimPO's target margin as a ratio γ/β.")]
    public double SimpoGamma { get; set; } = 0.5;

    [Option("rpo_alpha", "Weight α of an SFT term α·NLL(chosen) added to the loss (RPO); 0 disables it.")]
    public double RpoAlpha { get; set; }

    [Option("ref_model", "Reference model folder; empty = the starting policy (`model`), which is also a LoRA policy's base.")]
    public string? RefModel { get; set; }

    public bool ReferenceFree => LossType is DpoLossType.Simpo or DpoLossType.Orpo;

    public override void Validate()
    {
        base.Validate();
        if (!(Beta > 0)) throw new ConfigException($"option 'beta' must be positive, got {Beta}");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 0.5)) throw new ConfigException($"option 'label_smoothing' must be in [0, 0.5), got {LabelSmoothing}");
        if (!(RpoAlpha >= 0)) throw new ConfigException($"option 'rpo_alpha' must be >= 0, got {RpoAlpha}");
    }
}

/// <summary>`align train kto`: KTO on unpaired `{"prompt","completion","label"}` rows.</summary>
public sealed class KtoOptions : CommonOptions
{
    public KtoOptions() => LearningRate = 5e-6;

    [StageInput("beta", "β of KTO.")]
    [Option("beta", "β of KTO.")]
    public double Beta { get; set; } = 0.1;

    [Option("desirable_weight", "λD: weight of desirable (label true) examples.")]
    public double DesirableWeight { get; set; } = 1.0;

    [Option("undesirable_weight", "λU: weight of undesirable (label false) examples.")]
    public double UndesirableWeight { get; set; } = 1.0;

    [Option("ref_model", "Reference model folder; empty = the starting policy (`model`).")]
    public string? RefModel { get; set; }

    public override void Validate()
    {
        base.Validate();
        if (!(Beta > 0)) throw new ConfigException($"option 'beta' must be positive, got {Beta}");
        if (!(DesirableWeight >= 0 && UndesirableWeight >= 0)) throw new ConfigException("options 'desirable_weight' and 'undesirable_weight' must be >= 0");
    }
}
