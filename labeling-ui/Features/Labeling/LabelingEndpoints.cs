using System.Globalization;
using System.Security.Claims;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.LabelingUi.Auth;
using Alignment.LabelingUi.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Alignment.LabelingUi.Features.Labeling;

/// <summary>
/// Labeling: the REST API (<c>/api</c>, bearer token) and the htmx endpoints of the labeling page (<c>/ui</c>, cookie +
/// antiforgery), both over <see cref="QueueService"/>. The page itself is <c>LabelPage.razor</c>.
/// </summary>
public static class LabelingEndpoints
{
    /// <summary>Maps the labeling routes.</summary>
    public static IEndpointRouteBuilder MapLabeling(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(AuthPolicies.ApiAnnotator).DisableAntiforgery().WithTags("Labeling");
        api.MapGet("/projects/{projectId:long}/next", Next);
        api.MapPost("/assignments/{assignmentId:long}/judgment", Submit);
        api.MapPost("/assignments/{assignmentId:long}/skip", Skip);
        api.MapPost("/projects/{projectId:long}/undo", Undo);
        api.MapGet("/projects/{projectId:long}/progress", Progress);

        var ui = app.MapGroup("/ui/projects/{projectId:long}").RequireAuthorization(AuthPolicies.Annotator).RequireAntiforgeryToken();
        ui.MapGet("/item", ItemFragment);
        ui.MapPost("/submit", SubmitFromPage);
        ui.MapPost("/skip", SkipFromPage);
        ui.MapPost("/undo", UndoFromPage);
        return app;
    }

    // ---- REST API ----

    /// <summary>GET /api/projects/{id}/next: the caller's leased item (the same one until judged, skipped or expired), or 204 when none is left.</summary>
    public static Results<Ok<ItemResponse>, NoContent> Next(long projectId, ClaimsPrincipal user, QueueService queue) =>
        queue.NextItem(projectId, user.AnnotatorId()) is { } item ? TypedResults.Ok(ItemResponse.From(item)) : TypedResults.NoContent();

    /// <summary>POST /api/assignments/{id}/judgment: 201 with the judgment, or 200 when the Idempotency-Key replays an earlier submission.</summary>
    public static Results<Created<SubmitResponse>, Ok<SubmitResponse>> Submit(
        long assignmentId, SubmitRequest body, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        ClaimsPrincipal user, QueueService queue)
    {
        var result = queue.Submit(assignmentId, user.AnnotatorId(), body.ToInput(), idempotencyKey);
        var response = new SubmitResponse(result.JudgmentId, result.Replayed);
        return result.Replayed ? TypedResults.Ok(response) : TypedResults.Created($"/api/judgments/{result.JudgmentId}", response);
    }

    /// <summary>POST /api/assignments/{id}/skip: gives the item back unjudged; it is not offered to the caller again.</summary>
    public static NoContent Skip(long assignmentId, ClaimsPrincipal user, QueueService queue)
    {
        queue.Skip(assignmentId, user.AnnotatorId());
        return TypedResults.NoContent();
    }

    /// <summary>POST /api/projects/{id}/undo: supersedes the caller's last judgment and returns that item, leased again.</summary>
    public static Ok<ItemResponse> Undo(long projectId, ClaimsPrincipal user, QueueService queue) =>
        TypedResults.Ok(ItemResponse.From(queue.UndoLast(projectId, user.AnnotatorId())));

    /// <summary>GET /api/projects/{id}/progress: the caller's and the project's progress (members and admins).</summary>
    public static Ok<ProgressResponse> Progress(long projectId, ClaimsPrincipal user, QueueService queue, ProjectMembers members)
    {
        members.RequireAccess(projectId, user.AnnotatorId());
        return TypedResults.Ok(ProgressResponse.From(queue.Progress(projectId, user.AnnotatorId())));
    }

    // ---- htmx fragments of the labeling page ----

    /// <summary>GET /ui/projects/{id}/item: the current item panel (used to refresh after an error).</summary>
    public static RazorComponentResult<ItemPanel> ItemFragment(long projectId, ClaimsPrincipal user, QueueService queue, ProjectService projects) =>
        Panel(projectId, user, queue, projects, notice: null);

    /// <summary>POST /ui/projects/{id}/submit: records the judgment and answers with the next item and the new progress.</summary>
    public static async Task<RazorComponentResult<ItemPanel>> SubmitFromPage(
        long projectId, HttpRequest request, ClaimsPrincipal user, QueueService queue, ProjectService projects)
    {
        var form = await request.ReadFormAsync();
        var assignmentId = RequiredLong(form, "assignment_id");
        var input = new SubmitRequest(
            form["choice"], OptionalInt(form, "strength") ?? 0, form["rationale"],
            OptionalInt(form, "helpful"), OptionalInt(form, "harmless"), OptionalInt(form, "honest"),
            OptionalInt(form, "time_ms") ?? 0).ToInput();
        string? notice = null;
        try
        {
            queue.Submit(assignmentId, user.AnnotatorId(), input, NullIfEmpty(form["key"]));
        }
        catch (LeaseExpiredException)
        {
            notice = "Your time on that item ran out before you submitted, so it went back to the pool and your answer was not saved. Here is your next item.";
        }
        catch (AlreadySubmittedException)
        {
            notice = "That item was already judged; nothing was changed.";
        }
        return Panel(projectId, user, queue, projects, notice);
    }

    /// <summary>POST /ui/projects/{id}/skip: skips the item and answers with the next one.</summary>
    public static async Task<RazorComponentResult<ItemPanel>> SkipFromPage(
        long projectId, HttpRequest request, ClaimsPrincipal user, QueueService queue, ProjectService projects)
    {
        var form = await request.ReadFormAsync();
        queue.Skip(RequiredLong(form, "assignment_id"), user.AnnotatorId());
        return Panel(projectId, user, queue, projects, "Skipped. It will not come back to you unless an admin reopens it.");
    }

    /// <summary>POST /ui/projects/{id}/undo: undoes the last judgment and shows that item again.</summary>
    public static RazorComponentResult<ItemPanel> UndoFromPage(long projectId, ClaimsPrincipal user, QueueService queue, ProjectService projects)
    {
        var item = queue.UndoLast(projectId, user.AnnotatorId());
        return Panel(projectId, user, queue, projects, "Your last judgment was undone. Judge this comparison again.", item);
    }

    private static RazorComponentResult<ItemPanel> Panel(long projectId, ClaimsPrincipal user, QueueService queue, ProjectService projects,
        string? notice, QueueItem? item = null)
    {
        var project = projects.Get(projectId);
        var annotatorId = user.AnnotatorId();
        item ??= queue.NextItem(projectId, annotatorId);
        return new RazorComponentResult<ItemPanel>(new Dictionary<string, object?>
        {
            [nameof(ItemPanel.Project)] = project,
            [nameof(ItemPanel.Item)] = item,
            [nameof(ItemPanel.Progress)] = queue.Progress(projectId, annotatorId),
            [nameof(ItemPanel.Notice)] = notice,
            [nameof(ItemPanel.OutOfBand)] = true,
        });
    }

    private static long RequiredLong(IFormCollection form, string field) =>
        long.TryParse(form[field], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidRequestException($"The form field '{field}' is missing or not a whole number.");

    private static int? OptionalInt(IFormCollection form, string field)
    {
        var text = (string?)form[field];
        if (string.IsNullOrWhiteSpace(text))
            return null;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidRequestException($"The form field '{field}' is '{text}', not a whole number.");
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
