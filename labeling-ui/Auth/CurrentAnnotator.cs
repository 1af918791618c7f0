using System.Security.Claims;
using Alignment.Data.Annotators;
using Alignment.Data.Model;

namespace Alignment.LabelingUi.Auth;

/// <summary>Claims of a signed-in annotator, and reading them back.</summary>
public static class CurrentAnnotator
{
    /// <summary>The principal for an account (id, name, role); it carries no token.</summary>
    public static ClaimsPrincipal Principal(Annotator annotator, string scheme) => new(new ClaimsIdentity(
    [
        new Claim(ClaimTypes.NameIdentifier, annotator.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new Claim(ClaimTypes.Name, annotator.Name),
        new Claim(ClaimTypes.Role, annotator.Role.ToCode()),
    ], scheme, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>The signed-in account's id; throws when the principal is anonymous (the endpoint's policy prevents that).</summary>
    public static long AnnotatorId(this ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
            ? id
            : throw new InvalidOperationException("No signed-in annotator on this request.");

    /// <summary>Whether the signed-in account is an admin.</summary>
    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(AnnotatorRole.Admin.ToCode());

    /// <summary>The display name.</summary>
    public static string DisplayName(this ClaimsPrincipal user) => user.Identity?.Name ?? "";
}
