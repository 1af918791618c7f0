namespace Alignment.Workflows;

/// <summary>
/// Base of the engine's expected errors: bad definitions, unknown instances or artifacts, lease conflicts. The
/// message is written for the person at the command line; the CLI prints it without a stack trace.
/// </summary>
public class WorkflowException(string message, Exception? inner = null) : Exception(message, inner), IUserFacingError;

/// <summary>An instance, artifact or activity that does not exist (or an ambiguous id prefix).</summary>
public sealed class WorkflowNotFoundException(string message) : WorkflowException(message);

/// <summary>The request does not fit the instance's state (resume of a finished instance, a lease held elsewhere).</summary>
public sealed class WorkflowStateException(string message) : WorkflowException(message);
