using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Validation;

namespace Alignment.LabelingUi.Features.Workflows;

/// <summary>One stored version, as lists show it.</summary>
public sealed record DefinitionVersionResponse(string DefinitionId, int Version, string? Name, bool IsLatest, int ErrorCount,
    DateTimeOffset CreatedAt, string CreatedBy)
{
    /// <summary>From the repository's row.</summary>
    public static DefinitionVersionResponse From(DefinitionVersionInfo v) =>
        new(v.DefinitionId, v.Version, v.Name, v.IsLatest, v.ErrorCount, v.CreatedAt, v.CreatedBy);
}

/// <summary>A definition with all its versions (newest first), for <c>GET /api/workflows</c>.</summary>
public sealed record DefinitionSummaryResponse(string DefinitionId, string? Name, int LatestVersion, IReadOnlyList<DefinitionVersionResponse> Versions);

/// <summary>One version with its document, for <c>GET /api/workflows/{id}</c>; <c>versions</c> lists every version number of the definition.</summary>
public sealed record DefinitionResponse(string DefinitionId, int Version, string? Name, bool IsLatest, int ErrorCount, DateTimeOffset CreatedAt,
    string CreatedBy, IReadOnlyList<int> Versions, JsonObject Definition);

/// <summary>One validation problem: the activity it concerns (null: the whole document), the input it names (when it names one), the message.</summary>
public sealed partial record ValidationErrorResponse(string Code, string? ActivityId, string? ActivityName, string? Input, string Message)
{
    /// <summary>
    /// From the validator's error. The input is the one the message names: the validator words every input problem as
    /// <c>input 'name'</c> (or <c>an input 'name'</c> for an undeclared one).
    /// </summary>
    public static ValidationErrorResponse From(ValidationError e) =>
        new(e.Code, e.ActivityId, e.ActivityName, e.ActivityId is null ? null : InputName().Match(e.Message) is { Success: true } m ? m.Groups[1].Value : null, e.Message);

    [GeneratedRegex(@"\binput '([^']+)'")]
    private static partial Regex InputName();
}

/// <summary>The result of <c>POST /api/workflows/validate</c>: <c>valid</c> and the errors, and the warnings (same shape;
/// they do not make a definition invalid).</summary>
public sealed record ValidationResponse(bool Valid, IReadOnlyList<ValidationErrorResponse> Errors, IReadOnlyList<ValidationErrorResponse> Warnings)
{
    /// <summary>From the validator's errors and warnings.</summary>
    public static ValidationResponse From(IReadOnlyList<ValidationError> errors, IReadOnlyList<ValidationError> warnings) =>
        new(errors.Count == 0, errors.Select(ValidationErrorResponse.From).ToList(), warnings.Select(ValidationErrorResponse.From).ToList());
}

/// <summary>The result of <c>POST /api/workflows</c>: the new version, and the validation errors it was saved with (a draft when there are any).</summary>
public sealed record SaveResponse(string DefinitionId, int Version, string? Name, bool Valid, IReadOnlyList<ValidationErrorResponse> Errors, JsonObject Definition);

/// <summary>Starts a run: the version (default: latest), the workflow input values as text (as <c>--input name=value</c>), and force (rerun every stage).</summary>
public sealed record RunRequest(int? Version = null, Dictionary<string, string>? Inputs = null, bool Force = false);

/// <summary>A started run: the instance id and where its dashboard is.</summary>
public sealed record RunResponse(string InstanceId, string DefinitionId, int Version, string RunsUrl);
