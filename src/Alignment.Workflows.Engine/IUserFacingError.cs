namespace Alignment.Workflows;

/// <summary>
/// Marks an exception whose message is written for the person running the workflow (a bad input, a missing file):
/// a stage that fails with one is reported with its message alone, without the exception's type or stack trace.
/// Exceptions of projects the engine cannot reference are declared user-facing on the registry instead
/// (<see cref="Activities.ActivityRegistry.TreatAsUserFacing{TException}"/>).
/// </summary>
public interface IUserFacingError;
