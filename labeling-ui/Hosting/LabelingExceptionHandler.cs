using Alignment.Data.Model;
using Alignment.Data.Store;
using Microsoft.AspNetCore.Diagnostics;

namespace Alignment.LabelingUi.Hosting;

/// <summary>
/// Turns the store's typed errors into ProblemDetails JSON: <see cref="LabelingErrorKind"/> Invalid 400, Forbidden 403,
/// NotFound 404, Conflict 409, Gone 410, Unprocessable 422, with the message as <c>detail</c> and the stable code as <c>code</c>. Requests the
/// framework could not bind (bad JSON, a missing field) are 400 with the binder's message. Anything else is a 500 that
/// says nothing about the internals (it is logged).
/// </summary>
public sealed class LabelingExceptionHandler(IProblemDetailsService problems, ILogger<LabelingExceptionHandler> log) : IExceptionHandler
{
    /// <summary>The HTTP status for a store error kind.</summary>
    public static int StatusOf(LabelingErrorKind kind) => kind switch
    {
        LabelingErrorKind.Invalid => StatusCodes.Status400BadRequest,
        LabelingErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        LabelingErrorKind.NotFound => StatusCodes.Status404NotFound,
        LabelingErrorKind.Conflict => StatusCodes.Status409Conflict,
        LabelingErrorKind.Gone => StatusCodes.Status410Gone,
        LabelingErrorKind.Unprocessable => StatusCodes.Status422UnprocessableEntity,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, detail) = exception switch
        {
            LabelingException e => (StatusOf(e.Kind), e.Code, e.Message),
            BadHttpRequestException e => (e.StatusCode, "bad_request", e.Message),
            SchemaTooNewException e => (StatusCodes.Status500InternalServerError, "schema_too_new", e.Message),
            _ => (StatusCodes.Status500InternalServerError, "internal_error", "The server failed to handle this request; the error is in its log."),
        };
        if (status >= 500)
            log.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Title = code, Detail = detail, Extensions = { ["code"] = code } },
        });
    }
}
