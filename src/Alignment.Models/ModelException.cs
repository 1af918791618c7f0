namespace Alignment.Models;

/// <summary>A model folder, configuration, checkpoint or adapter that cannot be used as given. The message names the
/// file and key at fault and says what to do.</summary>
public sealed class ModelException : Exception
{
    public ModelException(string message) : base(message) { }

    public ModelException(string message, Exception inner) : base(message, inner) { }
}
