using Alignment.LabelingUi.Auth;
using Alignment.LabelingUi.Hosting;
using Alignment.Workflows;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Queries;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Alignment.LabelingUi.Features.Runs;

/// <summary>
/// The runs dashboard (admins only): workflow instances, their stages, metric curves, artifact lineage and files, and
/// cancel/resume. JSON under <c>/api</c> (bearer); fragments, curves and files for the pages under <c>/ui/admin</c>
/// (cookie; the POSTs need the antiforgery token). Workflow errors become ProblemDetails: unknown 404, wrong state 409,
/// bad request 400.
/// </summary>
public static class RunsEndpoints
{
    /// <summary>Maps the runs routes.</summary>
    public static IEndpointRouteBuilder MapRuns(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(AuthPolicies.ApiAdmin).DisableAntiforgery()
            .AddEndpointFilter(WorkflowErrors).WithTags("Runs");
        api.MapGet("/runs", List);
        api.MapGet("/runs/{id}", Get);
        api.MapGet("/runs/{id}/metrics", Metrics);
        api.MapGet("/runs/{id}/lineage", Lineage);
        api.MapGet("/runs/{id}/stages/{activityId}/log", Log);
        api.MapPost("/runs/{id}/cancel", Cancel);
        api.MapPost("/runs/{id}/resume", Resume);
        api.MapGet("/artifacts/{hash}", Artifact);
        api.MapGet("/artifacts/{hash}/files/{**path}", ArtifactFile);

        var ui = app.MapGroup("/ui/admin").RequireAuthorization(AuthPolicies.Admin).AddEndpointFilter(WorkflowErrors);
        ui.MapGet("/runs/{id}/metrics", Metrics);
        ui.MapGet("/runs/{id}/stages/{activityId}/log", Log);
        ui.MapPost("/runs/{id}/cancel", CancelFromPage).RequireAntiforgeryToken();
        ui.MapPost("/runs/{id}/resume", ResumeFromPage).RequireAntiforgeryToken();
        ui.MapGet("/artifacts/{hash}/files/{**path}", ArtifactFile);
        return app;
    }

    /// <summary>GET /api/runs: every instance, newest first.</summary>
    public static Ok<IReadOnlyList<RunSummary>> List(RunQueries runs) => TypedResults.Ok(runs.List());

    /// <summary>GET /api/runs/{id}: stages, inputs and reports of one instance (id or unique prefix).</summary>
    public static Ok<RunResponse> Get(string id, RunQueries runs, WorkflowEngine engine)
    {
        var full = engine.Repository.ResolveId(id);
        return TypedResults.Ok(new RunResponse(runs.Detail(full), runs.Reports(full)));
    }

    /// <summary>
    /// GET .../runs/{id}/metrics?stage=ACTIVITY&amp;iteration=N&amp;after=K: the metric rows of a training stage after the
    /// first K (complete lines only), <c>next</c> for the following call, and <c>running</c> while more may come.
    /// </summary>
    public static Ok<StageMetrics> Metrics(string id, string? stage, int? iteration, int? after, RunQueries runs, WorkflowEngine engine)
    {
        if (string.IsNullOrWhiteSpace(stage)) throw new WorkflowException("the query parameter 'stage' (an activity id) is missing");
        return TypedResults.Ok(runs.Metrics(engine.Repository.ResolveId(id), stage, iteration, after ?? 0));
    }

    /// <summary>GET /api/runs/{id}/lineage: the run's artifacts and their upstream, with the edges of artifact_inputs.</summary>
    public static Ok<LineageGraph> Lineage(string id, RunQueries runs, WorkflowEngine engine) => TypedResults.Ok(runs.Lineage(engine.Repository.ResolveId(id)));

    /// <summary>GET .../runs/{id}/stages/{activity}/log?iteration=N: the stage's log as text.</summary>
    public static ContentHttpResult Log(string id, string activityId, int? iteration, RunQueries runs, WorkflowEngine engine) =>
        TypedResults.Text(runs.Log(engine.Repository.ResolveId(id), activityId, iteration), "text/plain; charset=utf-8");

    /// <summary>POST /api/runs/{id}/cancel: 200 with <c>cancelled</c> true when it stopped at once, false when the running process stops at its next safe point.</summary>
    public static Ok<ActionResponse> Cancel(string id, RunLauncher launcher, WorkflowEngine engine)
    {
        var full = engine.Repository.ResolveId(id);
        bool now = launcher.Cancel(full);
        return TypedResults.Ok(new ActionResponse(full, now ? "cancelled" : "cancel requested: the running process stops at its next safe point"));
    }

    /// <summary>POST /api/runs/{id}/resume: 202; the instance runs in the background of the server (409 when a live process holds it).</summary>
    public static Accepted<ActionResponse> Resume(string id, RunLauncher launcher, WorkflowEngine engine)
    {
        var full = engine.Repository.ResolveId(id);
        launcher.Resume(full);
        return TypedResults.Accepted($"/api/runs/{full}", new ActionResponse(full, "resuming in the server"));
    }

    /// <summary>GET /api/artifacts/{hash}: the artifact (hash or unique prefix) with inputs, users and files.</summary>
    public static Ok<ArtifactView> Artifact(string hash, WorkflowEngine engine)
    {
        var store = engine.Artifacts;
        return TypedResults.Ok(ArtifactView.From(store.Get(hash), store));
    }

    /// <summary>
    /// GET .../artifacts/{hash}/files/{path}: one file inside a folder artifact. Only paths inside that folder are served
    /// (no <c>..</c>, absolute paths or symbolic links); types outside a short safe list are downloads, and every answer
    /// carries a sandboxing Content-Security-Policy (SVG can hold scripts).
    /// </summary>
    public static IResult ArtifactFile(string hash, string? path, HttpContext context, WorkflowEngine engine)
    {
        var record = engine.Artifacts.Get(hash);
        var decoded = Uri.UnescapeDataString(path ?? "");
        var full = ArtifactFiles.Resolve(record, decoded);
        var (contentType, inline) = ArtifactContentTypes.Of(full);
        context.Response.Headers.ContentSecurityPolicy = ArtifactContentTypes.SandboxPolicy;
        context.Response.Headers.CacheControl = "private, max-age=3600";
        return inline
            ? TypedResults.PhysicalFile(full, contentType)
            : TypedResults.PhysicalFile(full, contentType, Path.GetFileName(full));
    }

    /// <summary>POST /ui/admin/runs/{id}/cancel (form): cancels, then back to the run page with a notice.</summary>
    public static RedirectHttpResult CancelFromPage(string id, RunLauncher launcher, WorkflowEngine engine)
    {
        var full = engine.Repository.ResolveId(id);
        try
        {
            bool now = launcher.Cancel(full);
            return TypedResults.Redirect($"/runs/{full}?notice={Uri.EscapeDataString(now ? "Cancelled." : "Cancel requested: the run stops at its next safe point.")}");
        }
        catch (WorkflowException e)
        {
            return TypedResults.Redirect($"/runs/{full}?error={Uri.EscapeDataString(e.Message)}");
        }
    }

    /// <summary>POST /ui/admin/runs/{id}/resume (form): starts the resume in the background, then back to the run page.</summary>
    public static RedirectHttpResult ResumeFromPage(string id, RunLauncher launcher, WorkflowEngine engine)
    {
        var full = engine.Repository.ResolveId(id);
        try
        {
            launcher.Resume(full);
            return TypedResults.Redirect($"/runs/{full}?notice={Uri.EscapeDataString("Resuming in the server.")}");
        }
        catch (WorkflowException e)
        {
            return TypedResults.Redirect($"/runs/{full}?error={Uri.EscapeDataString(e.Message)}");
        }
    }

    /// <summary>Turns workflow errors into ProblemDetails: not found 404, wrong state 409, anything else 400.</summary>
    private static async ValueTask<object?> WorkflowErrors(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (WorkflowException e)
        {
            var (status, code) = e switch
            {
                WorkflowNotFoundException => (StatusCodes.Status404NotFound, "not_found"),
                WorkflowStateException => (StatusCodes.Status409Conflict, "conflict"),
                _ => (StatusCodes.Status400BadRequest, "invalid"),
            };
            return TypedResults.Problem(statusCode: status, title: code, detail: e.Message, extensions: new Dictionary<string, object?> { ["code"] = code });
        }
    }
}

/// <summary>The answer of a cancel or resume.</summary>
public sealed record ActionResponse(string Id, string Message);
