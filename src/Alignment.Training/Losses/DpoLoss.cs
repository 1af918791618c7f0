using Alignment.Torch;
using static Alignment.Torch.torch;

namespace Alignment.Training.Losses;

/// <summary>
/// The DPO family of preference losses, as small pure functions returning one loss per pair (B).
/// Notation: Δw = log πθ(yw|x) − log πref(yw|x) summed over completion tokens, Δl likewise,
/// h = Δw − Δl. Reference-free losses (SimPO, ORPO) take the policy's length-averaged log-probs instead.
/// </summary>
public static class DpoLoss
{
    /// <summary>h = (πw − refw) − (πl − refl), per pair.</summary>
    public static Tensor LogRatioMargin(Tensor policyChosen, Tensor policyRejected, Tensor referenceChosen, Tensor referenceRejected)
    {
        using var scope = NewDisposeScope();
        var h = (policyChosen - referenceChosen) - (policyRejected - referenceRejected);
        return h.MoveToOuterScope();
    }

    /// <summary>DPO (sigmoid), with optional conservative label smoothing ε (cDPO):
    /// −(1−ε)·log σ(βh) − ε·log σ(−βh). ε = 0 is plain DPO.</summary>
    public static Tensor Sigmoid(Tensor h, double beta, double labelSmoothing = 0)
    {
        CheckSmoothing(labelSmoothing, "label_smoothing", upper: 0.5, inclusiveUpper: true);
        using var scope = NewDisposeScope();
        var z = h * beta;
        var loss = -(1 - labelSmoothing) * z.logsigmoid();
        if (labelSmoothing > 0) loss = loss - labelSmoothing * (-z).logsigmoid();
        return loss.MoveToOuterScope();
    }

    /// <summary>Robust DPO: [−(1−ε)·log σ(βh) + ε·log σ(−βh)] / (1−2ε), ε in [0, 0.5).</summary>
    public static Tensor Robust(Tensor h, double beta, double labelSmoothing)
    {
        CheckSmoothing(labelSmoothing, "label_smoothing", upper: 0.5, inclusiveUpper: false);
        using var scope = NewDisposeScope();
        var z = h * beta;
        var loss = (-(1 - labelSmoothing) * z.logsigmoid() + labelSmoothing * (-z).logsigmoid()) / (1 - 2 * labelSmoothing);
        return loss.MoveToOuterScope();
    }

    /// <summary>Hinge (SLiC): max(0, 1 − βh).</summary>
    public static Tensor Hinge(Tensor h, double beta)
    {
        using var scope = NewDisposeScope();
        return (1 - h * beta).relu().MoveToOuterScope();
    }

    /// <summary>IPO: (h̄ − 1/(2β))², where h̄ is built from length-averaged log-ratios (β acts as τ).</summary>
    public static Tensor Ipo(Tensor hAveraged, double beta)
    {
        if (!(beta > 0)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "IPO needs beta > 0 (it divides by 2·beta)");
        using var scope = NewDisposeScope();
        return (hAveraged - 1 / (2 * beta)).square().MoveToOuterScope();
    }

    /// <summary>SimPO (reference-free): −log σ(β·(p̄w − p̄l) − γ) with γ = β·gammaBetaRatio and p̄ the policy's
    /// length-averaged log-probs. The optional NLL term (α·NLL(yw)) is added by the trainer.</summary>
    public static Tensor SimPo(Tensor chosenAverage, Tensor rejectedAverage, double beta, double gammaBetaRatio = 0.5, double labelSmoothing = 0)
    {
        CheckSmoothing(labelSmoothing, "label_smoothing", upper: 0.5, inclusiveUpper: true);
        using var scope = NewDisposeScope();
        var z = (chosenAverage - rejectedAverage - gammaBetaRatio) * beta;
        var loss = -(1 - labelSmoothing) * z.logsigmoid();
        if (labelSmoothing > 0) loss = loss - labelSmoothing * (-z).logsigmoid();
        return loss.MoveToOuterScope();
    }

    /// <summary>ORPO's odds-ratio term: −λ·log σ(log_odds) with
    /// log_odds = (p̄w − p̄l) − [log(1 − e^p̄w) − log(1 − e^p̄l)], p̄ length-averaged policy log-probs (&lt; 0).
    /// The trainer adds NLL(yw). Returns (loss term, log_odds) per pair.</summary>
    public static (Tensor loss, Tensor logOdds) OrpoOddsRatio(Tensor chosenAverage, Tensor rejectedAverage, double lambda = 0.1)
    {
        using var scope = NewDisposeScope();
        // log(1 − e^p) computed as log(−expm1(p)), stable for p close to 0.
        var logOdds = (chosenAverage - rejectedAverage) - ((-chosenAverage.expm1()).log() - (-rejectedAverage.expm1()).log());
        var loss = -lambda * logOdds.logsigmoid();
        return (loss.MoveToOuterScope(), logOdds.MoveToOuterScope());
    }

    private static void CheckSmoothing(double eps, string name, double upper, bool inclusiveUpper)
    {
        bool ok = eps >= 0 && (inclusiveUpper ? eps <= upper : eps < upper);
        if (!ok)
            throw new ArgumentOutOfRangeException(name, eps, $"{name} must be in [0, {upper}{(inclusiveUpper ? "]" : ")")}");
    }
}
