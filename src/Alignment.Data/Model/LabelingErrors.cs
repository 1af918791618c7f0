namespace Alignment.Data.Model;

/// <summary>How an API should report a <see cref="LabelingException"/>.</summary>
public enum LabelingErrorKind
{
    /// <summary>The request itself is malformed or out of range (HTTP 400).</summary>
    Invalid,
    /// <summary>The caller may not do this (HTTP 403).</summary>
    Forbidden,
    /// <summary>The named thing does not exist (HTTP 404).</summary>
    NotFound,
    /// <summary>The request conflicts with the current state (HTTP 409).</summary>
    Conflict,
    /// <summary>The thing existed but is no longer valid, e.g. an expired lease (HTTP 410).</summary>
    Gone,
    /// <summary>Well-formed but cannot be processed as sent, e.g. an idempotency key reused with another body (HTTP 422).</summary>
    Unprocessable,
}

/// <summary>
/// Base of the typed errors the labeling services throw for bad requests. The message is meant for the
/// person who made the request; <see cref="Code"/> is stable for programs.
/// </summary>
public abstract class LabelingException : Exception
{
    /// <summary>Creates the error.</summary>
    protected LabelingException(string code, LabelingErrorKind kind, string message) : base(message)
    {
        Code = code;
        Kind = kind;
    }

    /// <summary>A stable snake_case error code, e.g. <c>lease_expired</c>.</summary>
    public string Code { get; }

    /// <summary>The class of error, for mapping to a status code.</summary>
    public LabelingErrorKind Kind { get; }
}

/// <summary>A value in the request is missing or out of range.</summary>
public sealed class InvalidRequestException(string message)
    : LabelingException("invalid_request", LabelingErrorKind.Invalid, message);

/// <summary>A project, comparison, assignment, judgment or annotator does not exist.</summary>
public sealed class NotFoundException(string what, long id)
    : LabelingException("not_found", LabelingErrorKind.NotFound, $"{what} {id} does not exist.")
{
    /// <summary>What was looked up, e.g. <c>project</c>.</summary>
    public string What { get; } = what;

    /// <summary>The id that was not found.</summary>
    public long Id { get; } = id;
}

/// <summary>A project name that does not exist.</summary>
public sealed class ProjectNotFoundException(string name)
    : LabelingException("not_found", LabelingErrorKind.NotFound, $"Project '{name}' does not exist.");

/// <summary>The assignment belongs to another annotator (or the item was never assigned to the caller).</summary>
public sealed class NotAssignedException(long assignmentId, long annotatorId)
    : LabelingException("not_assigned", LabelingErrorKind.Forbidden,
        $"Assignment {assignmentId} is not assigned to annotator {annotatorId}.");

/// <summary>The caller's role does not allow the operation.</summary>
public sealed class ForbiddenException(string message)
    : LabelingException("forbidden", LabelingErrorKind.Forbidden, message);

/// <summary>The lease on the assignment ran out (or was released) before the judgment arrived.</summary>
public sealed class LeaseExpiredException(long assignmentId)
    : LabelingException("lease_expired", LabelingErrorKind.Gone,
        $"The lease on assignment {assignmentId} has expired; ask for the next item again.");

/// <summary>The assignment already has a judgment and the request is not a replay of it.</summary>
public sealed class AlreadySubmittedException(long assignmentId, long judgmentId)
    : LabelingException("already_submitted", LabelingErrorKind.Conflict,
        $"Assignment {assignmentId} was already judged (judgment {judgmentId}). Use undo or revise to change it.")
{
    /// <summary>The judgment already recorded for the assignment.</summary>
    public long JudgmentId { get; } = judgmentId;
}

/// <summary>The idempotency key was already used for a different assignment.</summary>
public sealed class IdempotencyConflictException(string key)
    : LabelingException("idempotency_conflict", LabelingErrorKind.Conflict,
        $"The idempotency key '{key}' was already used for a different submission.");

/// <summary>The idempotency key was already used for this assignment, but with a different judgment.</summary>
public sealed class IdempotencyKeyReusedException(string key, long judgmentId)
    : LabelingException("idempotency_key_reused", LabelingErrorKind.Unprocessable,
        $"The idempotency key '{key}' was already used with another body (judgment {judgmentId}). Send the same body to replay " +
        "that submission, or a new key for a new one.");

/// <summary>A name that must be unique is taken.</summary>
public sealed class DuplicateNameException(string what, string name)
    : LabelingException("duplicate_name", LabelingErrorKind.Conflict, $"A {what} named '{name}' already exists.");

/// <summary>Undo was asked for but the annotator has no active judgment to undo.</summary>
public sealed class NothingToUndoException(long annotatorId)
    : LabelingException("nothing_to_undo", LabelingErrorKind.Conflict, $"Annotator {annotatorId} has no judgment to undo.");
