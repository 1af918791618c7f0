using System.Text;
using Alignment.LabelingUi.Auth;
using Alignment.LabelingUi.Hosting;
using Alignment.Workflows;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Validation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Alignment.LabelingUi.Features.Workflows;

/// <summary>
/// Workflow definitions for the designer (admins only): list, read, validate and save versions, the activity catalog,
/// and starting runs, under <c>/api/workflows</c> (cookie or bearer; see <see cref="WorkflowsAuth"/>); the list page's
/// forms post to <c>/ui/workflows/...</c>. Saving always adds a version; a definition with validation errors is saved
/// too (a draft, flagged by <c>valid: false</c> and its errors) so work in progress is never lost, but it cannot run.
/// </summary>
public static class WorkflowsEndpoints
{
    /// <summary>Maps the workflow routes.</summary>
    public static IEndpointRouteBuilder MapWorkflows(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/workflows").RequireAuthorization(WorkflowsAuth.Policy).AddEndpointFilter(WorkflowErrors.Filter).WithTags("Workflows");
        api.MapGet("/", List);
        api.MapGet("/activities", Activities);
        api.MapGet("/{definitionId}", Get);

        var write = app.MapGroup("/api/workflows").RequireAuthorization(WorkflowsAuth.Policy).RequireAntiforgeryForCookies()
            .AddEndpointFilter(WorkflowErrors.Filter).WithTags("Workflows");
        write.MapPost("/validate", Validate);
        write.MapPost("/", Save);
        write.MapPost("/{definitionId}/runs", StartRun);

        var ui = app.MapGroup("/ui/workflows").RequireAuthorization(AuthPolicies.Admin).AddEndpointFilter(WorkflowErrors.Filter);
        ui.MapGet("/{definitionId}/export", Export);
        var forms = app.MapGroup("/ui/workflows").RequireAuthorization(AuthPolicies.Admin).RequireAntiforgeryToken();
        forms.MapPost("/new", CreateFromForm);
        forms.MapPost("/import", ImportFromForm);
        forms.MapPost("/import-shipped", ImportShippedFromForm);
        forms.MapPost("/store-ran", StoreRanFromForm);
        return app;
    }

    /// <summary>GET /api/workflows: every definition with its versions (newest first).</summary>
    public static Ok<DefinitionSummaryResponse[]> List(DefinitionRepository definitions) =>
        TypedResults.Ok(definitions.List().GroupBy(v => v.DefinitionId)
            .Select(g => new DefinitionSummaryResponse(g.Key, g.First().Name, g.First().Version, g.Select(DefinitionVersionResponse.From).ToList()))
            .ToArray());

    /// <summary>GET /api/workflows/activities: the activity types (the same metadata as <c>align workflows activities --json</c>).</summary>
    public static Ok<IReadOnlyList<ActivityView>> Activities(ActivityRegistry registry) => TypedResults.Ok(ActivityCatalog.Describe(registry));

    /// <summary>GET /api/workflows/{id}[?version=N]: one version (default the latest) with its definition document.</summary>
    public static Ok<DefinitionResponse> Get(string definitionId, int? version, DefinitionRepository definitions)
    {
        var stored = definitions.Get(definitionId, version);
        var info = stored.Info;
        var versions = definitions.Versions(definitionId).Select(v => v.Version).ToList();
        return TypedResults.Ok(new DefinitionResponse(info.DefinitionId, info.Version, info.Name, info.IsLatest, info.ErrorCount, info.CreatedAt,
            info.CreatedBy, versions, stored.Definition.Json));
    }

    /// <summary>POST /api/workflows/validate with a definition as the body: its validation errors (malformed JSON: 400 with line and column).</summary>
    public static async Task<Ok<ValidationResponse>> Validate(HttpRequest request, WorkflowValidator validator)
    {
        var definition = DefinitionSerializer.Parse(await ReadBody(request), "request body");
        return TypedResults.Ok(ValidationResponse.From(validator.Validate(definition), validator.Warnings(definition)));
    }

    /// <summary>
    /// POST /api/workflows with a definition as the body: saves it as a new version of its <c>definitionId</c> (201), with
    /// <c>valid</c> and the validation errors; an invalid definition is saved as a draft.
    /// </summary>
    public static async Task<Created<SaveResponse>> Save(HttpRequest request, DefinitionLibrary library)
    {
        var definition = DefinitionSerializer.Parse(await ReadBody(request), "request body");
        var result = library.Save(definition, request.HttpContext.User.DisplayName());
        var info = result.Stored.Info;
        return TypedResults.Created($"/api/workflows/{Uri.EscapeDataString(info.DefinitionId)}?version={info.Version}",
            new SaveResponse(info.DefinitionId, info.Version, info.Name, result.Errors.Count == 0,
                result.Errors.Select(ValidationErrorResponse.From).ToList(), result.Stored.Definition.Json));
    }

    /// <summary>
    /// POST /api/workflows/{id}/runs: starts an instance of a version (default latest) with the given workflow inputs and runs
    /// it in the background; 202 with the instance id. An invalid definition or a missing input is a 400 naming it.
    /// </summary>
    public static Accepted<RunResponse> StartRun(string definitionId, RunRequest? body, DefinitionRepository definitions, WorkflowRunLauncher runs)
    {
        body ??= new RunRequest();
        var stored = definitions.Get(definitionId, body.Version);
        var id = runs.Start(stored, body.Inputs ?? [], body.Force);
        return TypedResults.Accepted($"/runs/{id}", new RunResponse(id, stored.Info.DefinitionId, stored.Info.Version, $"/runs/{id}"));
    }

    /// <summary>GET /ui/workflows/{id}/export[?version=N]: the definition as a JSON download (<c>id-vN.json</c>).</summary>
    public static FileContentHttpResult Export(string definitionId, int? version, DefinitionRepository definitions)
    {
        var stored = definitions.Get(definitionId, version);
        var bytes = Encoding.UTF8.GetBytes(DefinitionSerializer.Write(stored.Definition) + "\n");
        return TypedResults.File(bytes, "application/json", $"{stored.Info.DefinitionId}-v{stored.Info.Version}.json");
    }

    /// <summary>POST /ui/workflows/new (form: definitionId, name): an empty definition, version 1; then the designer.</summary>
    public static RedirectHttpResult CreateFromForm(HttpContext context, DefinitionLibrary library, DefinitionRepository definitions)
    {
        var form = context.Request.Form;
        var id = form["definitionId"].ToString().Trim();
        var name = form["name"].ToString().Trim();
        try
        {
            DefinitionRepository.CheckId(id);
            if (definitions.Versions(id).Count > 0)
                return Back($"a workflow '{id}' exists already; open it from the list");
            library.Save(WorkflowDefinition.Create(id, name.Length > 0 ? name : id), context.User.DisplayName());
        }
        catch (WorkflowException e)
        {
            return Back(e.Message);
        }
        return TypedResults.Redirect($"/workflows/{Uri.EscapeDataString(id)}/design");
    }

    /// <summary>POST /ui/workflows/import (multipart <c>file</c>): saves the file as a new version of its definition; then the designer.</summary>
    public static async Task<RedirectHttpResult> ImportFromForm(HttpContext context, DefinitionLibrary library)
    {
        var file = (await context.Request.ReadFormAsync()).Files["file"];
        if (file is null || file.Length == 0) return Back("choose a .json workflow definition file to import");
        try
        {
            string text;
            using (var reader = new StreamReader(file.OpenReadStream(), Encoding.UTF8))
                text = await reader.ReadToEndAsync();
            var definition = DefinitionSerializer.Parse(text, Path.GetFileName(file.FileName));
            if (string.IsNullOrEmpty(definition.DefinitionId))
                definition.DefinitionId = Path.GetFileNameWithoutExtension(file.FileName);
            var saved = library.Save(definition, context.User.DisplayName()).Stored.Info;
            return TypedResults.Redirect($"/workflows/{Uri.EscapeDataString(saved.DefinitionId)}/design?version={saved.Version}");
        }
        catch (WorkflowException e)
        {
            return Back(e.Message);
        }
    }

    /// <summary>POST /ui/workflows/import-shipped: saves every shipped <c>workflows/*.json</c> as a new version.</summary>
    public static RedirectHttpResult ImportShippedFromForm(HttpContext context, DefinitionLibrary library)
    {
        var files = ShippedWorkflows.Files();
        if (files.Count == 0) return Back("no shipped workflows/ folder was found next to Alignment.sln (run the app from a checkout)");
        foreach (var file in files)
            library.Import(file, context.User.DisplayName());
        return TypedResults.Redirect($"/workflows?imported={files.Count}");
    }

    /// <summary>
    /// POST /ui/workflows/store-ran (form field <c>instance</c>): stores the definition a run started from a file with (as
    /// <c>align run</c> and <c>align demo</c> do), exactly as it ran and resolving its paths from the same folder, as a new
    /// version; then opens it in the designer.
    /// </summary>
    public static async Task<RedirectHttpResult> StoreRanFromForm(HttpContext context, DefinitionLibrary library, Alignment.Workflows.Execution.WorkflowEngine engine)
    {
        var form = await context.Request.ReadFormAsync();
        var instance = (string?)form["instance"];
        if (string.IsNullOrWhiteSpace(instance)) return Back("choose a run whose workflow to store");
        var (json, baseDir, _, _) = engine.Repository.LoadRuntime(instance);
        var definition = DefinitionSerializer.Parse(json, $"run {instance}");
        var stored = library.Save(definition, context.User.DisplayName(), baseDir).Stored.Info;
        return TypedResults.Redirect($"/workflows/{Uri.EscapeDataString(stored.DefinitionId)}/design?version={stored.Version}");
    }

    private static RedirectHttpResult Back(string error) => TypedResults.Redirect($"/workflows?error={Uri.EscapeDataString(error)}");

    private static async Task<string> ReadBody(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }
}
