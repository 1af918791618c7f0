using System.Security.Claims;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.LabelingUi.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Alignment.LabelingUi.Features.Annotators;

/// <summary>Accounts (admins only): list, create (the token is returned once), disable/enable, replace the token. The page is <c>AnnotatorsPage.razor</c>.</summary>
public static class AnnotatorsEndpoints
{
    /// <summary>Maps the account routes.</summary>
    public static IEndpointRouteBuilder MapAnnotators(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/annotators").RequireAuthorization(AuthPolicies.ApiAdmin).DisableAntiforgery().WithTags("Annotators");
        api.MapGet("/", List);
        api.MapPost("/", Create);
        api.MapPost("/{annotatorId:long}/disable", Disable);
        api.MapPost("/{annotatorId:long}/enable", Enable);
        api.MapPost("/{annotatorId:long}/token", RotateToken);
        return app;
    }

    /// <summary>GET /api/annotators.</summary>
    public static Ok<AnnotatorResponse[]> List(AnnotatorService annotators) =>
        TypedResults.Ok(annotators.List().Select(AnnotatorResponse.From).ToArray());

    /// <summary>POST /api/annotators: 201 with the account and its token (shown this once); 409 when the name is taken.</summary>
    public static Created<IssuedTokenResponse> Create(CreateAnnotatorRequest body, AnnotatorService annotators)
    {
        var issued = annotators.Create(body.Name ?? "", body.ParsedRole());
        return TypedResults.Created($"/api/annotators/{issued.Annotator.Id}",
            new IssuedTokenResponse(AnnotatorResponse.From(issued.Annotator), issued.Token));
    }

    /// <summary>POST /api/annotators/{id}/disable: the token and any signed-in session stop working. Admins cannot disable themselves.</summary>
    public static Ok<AnnotatorResponse> Disable(long annotatorId, ClaimsPrincipal user, AnnotatorService annotators)
    {
        if (annotatorId == user.AnnotatorId())
            throw new InvalidRequestException("You cannot disable your own account.");
        return TypedResults.Ok(AnnotatorResponse.From(annotators.SetActive(annotatorId, false)));
    }

    /// <summary>POST /api/annotators/{id}/enable.</summary>
    public static Ok<AnnotatorResponse> Enable(long annotatorId, AnnotatorService annotators) =>
        TypedResults.Ok(AnnotatorResponse.From(annotators.SetActive(annotatorId, true)));

    /// <summary>POST /api/annotators/{id}/token: a new token (returned once); the old one stops working.</summary>
    public static Ok<IssuedTokenResponse> RotateToken(long annotatorId, AnnotatorService annotators)
    {
        var issued = annotators.RotateToken(annotatorId);
        return TypedResults.Ok(new IssuedTokenResponse(AnnotatorResponse.From(issued.Annotator), issued.Token));
    }
}
