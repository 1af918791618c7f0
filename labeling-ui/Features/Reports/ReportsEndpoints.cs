using System.Security.Claims;
using Alignment.Data.Model;
using Alignment.Data.Reports;
using Alignment.Data.Review;
using Alignment.LabelingUi.Auth;
using Alignment.LabelingUi.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Alignment.LabelingUi.Features.Reports;

/// <summary>
/// Admin statistics: live activity, agreement (Cohen's κ per pair, Fleiss' κ, Krippendorff's α), gold accuracy,
/// disagreements with adjudication, and the Bradley–Terry model leaderboard. JSON under <c>/api</c> (bearer); the
/// project page reads the same queries over its circuit.
/// </summary>
public static class ReportsEndpoints
{
    /// <summary>The most bootstrap resamples one request may ask for.</summary>
    public const int MaxResamples = 10_000;

    /// <summary>Maps the report routes.</summary>
    public static IEndpointRouteBuilder MapReports(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(AuthPolicies.ApiAdmin).DisableAntiforgery().WithTags("Reports");
        api.MapGet("/projects/{projectId:long}/activity", Activity);
        api.MapGet("/projects/{projectId:long}/agreement", Agreement);
        api.MapGet("/projects/{projectId:long}/leaderboard", Leaderboard);
        api.MapGet("/projects/{projectId:long}/disagreements", Disagreements);
        api.MapPost("/comparisons/{comparisonId:long}/adjudication", Adjudicate);
        return app;
    }

    /// <summary>GET /api/projects/{id}/activity: per-annotator counts, live.</summary>
    public static Ok<IReadOnlyList<AnnotatorActivity>> Activity(long projectId, ActivityQueries queries) =>
        TypedResults.Ok(queries.Activity(projectId));

    /// <summary>GET /api/projects/{id}/agreement.</summary>
    public static Ok<AgreementReport> Agreement(long projectId, AgreementService agreement) =>
        TypedResults.Ok(agreement.Compute(projectId));

    /// <summary>GET /api/projects/{id}/leaderboard?resamples=1000&amp;seed=0: best first, Elo-scaled, with bootstrap 95% intervals.</summary>
    public static Ok<IReadOnlyList<LeaderboardEntry>> Leaderboard(long projectId, int? resamples, int? seed, LeaderboardService leaderboard) =>
        TypedResults.Ok(leaderboard.Compute(projectId, LeaderboardOptionsFor(resamples, seed)));

    /// <summary>GET /api/projects/{id}/disagreements?include_settled=false.</summary>
    public static Ok<IReadOnlyList<Disagreement>> Disagreements(long projectId, bool? includeSettled, AdjudicationService review) =>
        TypedResults.Ok(review.ListDisagreements(projectId, includeSettled ?? false));

    /// <summary>POST /api/comparisons/{id}/adjudication: the admin's judgment settles the comparison (it overrides the votes in exports).</summary>
    public static Created<AdjudicationResponse> Adjudicate(long comparisonId, AdjudicationRequest body, ClaimsPrincipal user, AdjudicationService review)
    {
        var outcome = body.ParsedOutcome();
        var id = review.Adjudicate(comparisonId, user.AnnotatorId(), outcome, body.Strength, body.Note);
        return TypedResults.Created($"/api/comparisons/{comparisonId}/adjudication",
            new AdjudicationResponse(id, comparisonId, outcome.ToCode(), body.Strength));
    }

    /// <summary>Bounded leaderboard options.</summary>
    public static LeaderboardOptions LeaderboardOptionsFor(int? resamples, int? seed)
    {
        var count = resamples ?? 1000;
        if (count is < 10 or > MaxResamples)
            throw new InvalidRequestException($"resamples must be between 10 and {MaxResamples} (got {count}).");
        return new LeaderboardOptions(Resamples: count, Seed: seed ?? 0);
    }
}
