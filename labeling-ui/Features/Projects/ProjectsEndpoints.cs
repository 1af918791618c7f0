using System.Security.Claims;
using Alignment.Data.ImportExport;
using Alignment.Data.Projects;
using Alignment.LabelingUi.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Alignment.LabelingUi.Features.Projects;

/// <summary>
/// Projects: list and read (members, and admins), create, update, import, pair and export (admins). The admin pages are
/// <c>AdminPage.razor</c> and <c>ProjectAdminPage.razor</c>; their export download is <c>GET /ui/admin/projects/{id}/export</c>.
/// </summary>
public static class ProjectsEndpoints
{
    /// <summary>Maps the project routes.</summary>
    public static IEndpointRouteBuilder MapProjects(this IEndpointRouteBuilder app)
    {
        var read = app.MapGroup("/api/projects").RequireAuthorization(AuthPolicies.ApiAnnotator).WithTags("Projects");
        read.MapGet("/", List);
        read.MapGet("/{projectId:long}", Get);

        var admin = app.MapGroup("/api/projects").RequireAuthorization(AuthPolicies.ApiAdmin).DisableAntiforgery().WithTags("Projects");
        admin.MapPost("/", Create);
        admin.MapPut("/{projectId:long}", Update);
        admin.MapPost("/{projectId:long}/import", Import);
        admin.MapPost("/{projectId:long}/comparisons", Pair);
        admin.MapGet("/{projectId:long}/export", Export);

        app.MapGroup("/ui/admin/projects").RequireAuthorization(AuthPolicies.Admin)
            .MapGet("/{projectId:long}/export", Export);
        return app;
    }

    /// <summary>GET /api/projects: the projects the caller is a member of (every project for an admin).</summary>
    public static Ok<ProjectResponse[]> List(ClaimsPrincipal user, ProjectMembers members) =>
        TypedResults.Ok(members.ProjectsOf(user.AnnotatorId()).Select(ProjectResponse.From).ToArray());

    /// <summary>GET /api/projects/{id}: 403 for an annotator who is not a member.</summary>
    public static Ok<ProjectResponse> Get(long projectId, ClaimsPrincipal user, ProjectService projects, ProjectMembers members)
    {
        members.RequireAccess(projectId, user.AnnotatorId());
        return TypedResults.Ok(ProjectResponse.From(projects.Get(projectId)));
    }

    /// <summary>POST /api/projects: 201 with the project (no members yet); 409 when the name is taken, 400 for a bad setting.</summary>
    public static Created<ProjectResponse> Create(ProjectRequest body, ProjectService projects)
    {
        var project = projects.Create(body.ToNew());
        return TypedResults.Created($"/api/projects/{project.Id}", ProjectResponse.From(project));
    }

    /// <summary>PUT /api/projects/{id}: changes the given settings, keeps the others.</summary>
    public static Ok<ProjectResponse> Update(long projectId, ProjectRequest body, ProjectService projects)
    {
        var old = projects.Get(projectId);
        return TypedResults.Ok(ProjectResponse.From(projects.Update(projectId, body.Merge(ProjectRequest.SettingsOf(old)))));
    }

    /// <summary>
    /// POST /api/projects/{id}/import?kind=prompts|responses|pairs with a multipart <c>file</c> (.jsonl or .csv). One
    /// transaction: a bad row is a 400 naming file, line and field, and nothing is written.
    /// </summary>
    public static Ok<ImportResult> Import(long projectId, string? kind, IFormFile file, ImportService imports, ProjectService projects)
    {
        var importKind = DataWords.ImportKind(kind);
        projects.Get(projectId);
        using var content = file.OpenReadStream();
        return TypedResults.Ok(imports.Import(projectId, importKind, content, file.FileName));
    }

    /// <summary>POST /api/projects/{id}/comparisons: pairs imported responses into comparisons.</summary>
    public static Ok<PairingResponse> Pair(long projectId, PairingRequest body, PairingService pairing) =>
        TypedResults.Ok(new PairingResponse(pairing.CreateComparisons(projectId, body.ToOptions())));

    /// <summary>GET .../export?format=trl|kto|csv: the export as a download.</summary>
    public static FileStreamHttpResult Export(long projectId, string? format, ProjectService projects,
        PreferenceExporter preferences, JudgmentCsvExporter judgments)
    {
        var word = DataWords.ExportFormat(format);
        var (content, contentType, fileName) = ProjectExport.Open(projects.Get(projectId), word, preferences, judgments);
        return TypedResults.File(content, contentType, fileName);
    }
}
