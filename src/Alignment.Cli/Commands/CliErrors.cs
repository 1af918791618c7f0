using System.Reflection;
using Alignment.Cli.Runtime;
using Alignment.Data.Model;
using Alignment.Data.Store;
using Alignment.Models;
using Alignment.Tokenizers;
using Alignment.Torch;
using Alignment.Training.Config;
using Alignment.Training.Datasets;
using Alignment.Training;
using Alignment.Workflows;
using Npgsql;

namespace Alignment.Cli.Commands;

/// <summary>
/// Which exceptions are the user's to fix (bad input, a file or folder that cannot be read or written) and what they
/// print. Every command's exception reaches <see cref="AlignApp.Run"/>, which prints these as one "error: ..." line
/// with exit code 2; anything else is a bug and keeps its stack trace.
/// </summary>
internal static class CliErrors
{
    /// <summary>The one-line message for a user-facing error, or null for an unexpected exception.</summary>
    public static string? Describe(Exception e) => Unwrap(e) switch
    {
        UsageException or ConfigException or DatasetException or TrainingException or TokenizerException or ModelException
            or WorkflowException or LabelingException or SchemaTooNewException or StoreFileException or StoreLocationException or StoreCopyException => Unwrap(e).Message,
        NpgsqlException n when IsUnreachable(n) =>
            $"cannot use the PostgreSQL store: {n.Message}. Check that the server is running and that the URL given with --store or " +
            "ALIGN_STORE names the right host, port, user, password and database (postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE)",
        TorchException t => $"libtorch: {t.Message}",
        // .NET's own messages name the path: "Access to the path '/x' is denied.", "Could not find a part of the path '/x/y'.",
        // "Read-only file system : '/x'", "The file '/x' already exists."
        UnauthorizedAccessException u => u.Message,
        IOException io => io.Message,
        _ => null,
    };

    /// <summary>
    /// Whether a PostgreSQL error means the store cannot be reached or entered (no server at the address, a timeout,
    /// refused credentials, no such database, the server starting or full), not a fault in our SQL.
    /// </summary>
    private static bool IsUnreachable(NpgsqlException e) => e is not PostgresException p
        || p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("28", StringComparison.Ordinal)
        || p.SqlState is "3D000" or "57P03" or "53300";

    /// <summary>The exception behind reflection and single-task wrappers.</summary>
    public static Exception Unwrap(Exception e) => e switch
    {
        TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        AggregateException { InnerExceptions.Count: 1 } a => Unwrap(a.InnerExceptions[0]),
        _ => e,
    };

    /// <summary>Whether <paramref name="e"/> means the native bridge or libtorch could not be loaded.</summary>
    public static bool IsNativeLoadFailure(Exception e) => Unwrap(e) is DllNotFoundException or EntryPointNotFoundException;
}
