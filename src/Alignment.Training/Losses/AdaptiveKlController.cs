namespace Alignment.Training.Losses;

/// <summary>
/// The adaptive KL controller of Ziegler et al. (TRL's legacy PPO): after each batch,
/// e = clip(KL/target − 1, −0.2, 0.2) and kl_coef ← kl_coef·(1 + e·n_steps/horizon).
/// Defaults: init 0.2, target 6, horizon 10000. Its state is the current coefficient.
/// </summary>
public sealed class AdaptiveKlController
{
    public AdaptiveKlController(double initKlCoef = 0.2, double target = 6, double horizon = 10000)
    {
        if (!(target > 0)) throw new ArgumentOutOfRangeException(nameof(target), target, "target KL must be positive");
        if (!(horizon > 0)) throw new ArgumentOutOfRangeException(nameof(horizon), horizon, "horizon must be positive");
        Value = initKlCoef;
        Target = target;
        Horizon = horizon;
    }

    /// <summary>The current KL coefficient.</summary>
    public double Value { get; set; }

    public double Target { get; }

    public double Horizon { get; }

    /// <summary>Updates the coefficient from the KL measured over nSteps samples.</summary>
    public void Update(double currentKl, long nSteps)
    {
        double error = Math.Clamp(currentKl / Target - 1, -0.2, 0.2);
        Value *= 1 + error * nSteps / Horizon;
    }
}
