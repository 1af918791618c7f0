namespace Alignment.Training;

/// <summary>A training run cannot start or continue: bad data for the stage, an incompatible checkpoint, a NaN loss.
/// The message says what happened and what to do; nothing already written (checkpoints, metrics) is corrupted.</summary>
public class TrainingException(string message) : Exception(message);

/// <summary>The loss or gradient norm became NaN or infinite: the run stops before the bad update is applied.</summary>
public sealed class NonFiniteLossException(int step, string what, string? lastCheckpoint)
    : TrainingException($"step {step}: the {what} is not finite; training stopped before applying this update. " +
                        (lastCheckpoint != null ? $"The last good checkpoint is {lastCheckpoint}. " : "No checkpoint was written before it. ") +
                        "Lower learning_rate, set max_grad_norm, or check the data around this step.")
{
    public int Step { get; } = step;
    public string? LastCheckpoint { get; } = lastCheckpoint;
}
