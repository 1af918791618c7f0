using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.LabelingUi.Auth;
using Alignment.LabelingUi.Features.Annotators;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Alignment.LabelingUi.Features.Projects;

/// <summary>
/// Project membership (admins): <c>GET /api/projects/{id}/members</c>, <c>POST</c> it with <c>{"annotator": NAME}</c> or
/// <c>{"annotator_id": ID}</c>, <c>DELETE /api/projects/{id}/members/{annotatorId}</c>. The admin page's form is on
/// <c>ProjectAdminPage.razor</c>.
/// </summary>
public static class MembersEndpoints
{
    /// <summary>Maps the membership routes.</summary>
    public static IEndpointRouteBuilder MapMembers(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/projects/{projectId:long}/members").RequireAuthorization(AuthPolicies.ApiAdmin)
            .DisableAntiforgery().WithTags("Projects");
        api.MapGet("/", List);
        api.MapPost("/", Add);
        api.MapDelete("/{annotatorId:long}", Remove);
        return app;
    }

    /// <summary>GET: the members by name.</summary>
    public static Ok<AnnotatorResponse[]> List(long projectId, ProjectMembers members) =>
        TypedResults.Ok(members.List(projectId).Select(AnnotatorResponse.From).ToArray());

    /// <summary>POST: adds a member (201; 200 when already one); 404 for an unknown project or account.</summary>
    public static Results<Created<AnnotatorResponse>, Ok<AnnotatorResponse>> Add(
        long projectId, MemberRequest body, ProjectMembers members, AnnotatorService annotators)
    {
        var annotator = body.Resolve(annotators);
        var response = AnnotatorResponse.From(annotator);
        return members.Add(projectId, annotator.Id)
            ? TypedResults.Created($"/api/projects/{projectId}/members/{annotator.Id}", response)
            : TypedResults.Ok(response);
    }

    /// <summary>
    /// DELETE: removes a member and releases the items they hold in the project; 204 also when they were not one (404 for
    /// an unknown project or account).
    /// </summary>
    public static NoContent Remove(long projectId, long annotatorId, ProjectMembers members)
    {
        members.Remove(projectId, annotatorId);
        return TypedResults.NoContent();
    }
}

/// <summary>Who to add: an account name or id.</summary>
/// <param name="Annotator">The account name.</param>
/// <param name="AnnotatorId">The account id (when no name is given).</param>
public sealed record MemberRequest(string? Annotator = null, long? AnnotatorId = null)
{
    /// <summary>The account; throws <see cref="InvalidRequestException"/> or <see cref="NotFoundException"/>.</summary>
    public Annotator Resolve(AnnotatorService annotators) => (Annotator, AnnotatorId) switch
    {
        ({ Length: > 0 } name, _) => annotators.Find(name.Trim())
                                     ?? throw new InvalidRequestException($"There is no annotator named '{name.Trim()}'."),
        (_, long id) => annotators.Get(id),
        _ => throw new InvalidRequestException("Name the account to add: {\"annotator\": NAME} or {\"annotator_id\": ID}."),
    };
}
