using Alignment.Data.Annotators;
using Alignment.Data.Model;

namespace Alignment.LabelingUi.Features.Annotators;

/// <summary>An account as the admin API shows it (never with a token or hash).</summary>
public sealed record AnnotatorResponse(long Id, string Name, string Role, bool IsActive, DateTimeOffset CreatedAt)
{
    /// <summary>From the store's account.</summary>
    public static AnnotatorResponse From(Annotator a) => new(a.Id, a.Name, a.Role.ToCode(), a.IsActive, a.CreatedAt);
}

/// <summary>A new account, or a new token: the token is in this response only.</summary>
public sealed record IssuedTokenResponse(AnnotatorResponse Annotator, string Token);

/// <summary>Create an account.</summary>
/// <param name="Name">Unique name.</param>
/// <param name="Role"><c>admin</c> or <c>annotator</c> (default annotator).</param>
public sealed record CreateAnnotatorRequest(string? Name, string? Role = "annotator")
{
    /// <summary>The parsed role; throws <see cref="InvalidRequestException"/>.</summary>
    public AnnotatorRole ParsedRole() => Role?.Trim().ToLowerInvariant() switch
    {
        null or "" or "annotator" => AnnotatorRole.Annotator,
        "admin" => AnnotatorRole.Admin,
        _ => throw new InvalidRequestException($"role '{Role}' is not one of admin, annotator."),
    };
}
