using Alignment.Workflows;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Alignment.LabelingUi.Features.Workflows;

/// <summary>
/// The workflow engine's expected errors as ProblemDetails: unknown definition or version 404; malformed JSON 400 with
/// <c>line</c> and <c>column</c> (and "line:column" in the detail); a definition that fails validation when a run
/// starts 400 with its <c>errors</c>; any other <see cref="WorkflowException"/> (bad id, missing workflow input) 400.
/// </summary>
public static class WorkflowErrors
{
    /// <summary>The endpoint filter.</summary>
    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (WorkflowNotFoundException e)
        {
            return Problem(StatusCodes.Status404NotFound, "workflow_not_found", e.Message);
        }
        catch (DefinitionFormatException e)
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_json", e.Message,
                new Dictionary<string, object?> { ["line"] = e.Line, ["column"] = e.Column });
        }
        catch (WorkflowValidationException e)
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_workflow", e.Message,
                new Dictionary<string, object?> { ["errors"] = e.Errors.Select(ValidationErrorResponse.From).ToList() });
        }
        catch (WorkflowException e)
        {
            return Problem(StatusCodes.Status400BadRequest, "workflow_error", e.Message);
        }
    }

    private static ProblemHttpResult Problem(int status, string code, string detail, Dictionary<string, object?>? extensions = null)
    {
        extensions ??= [];
        extensions["code"] = code;
        return TypedResults.Problem(statusCode: status, title: code, detail: detail, extensions: extensions);
    }
}
