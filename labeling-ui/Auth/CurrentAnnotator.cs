using System.Security.Claims;
using Alignment.Data.Annotators;
using Alignment.Data.Model;

namespace Alignment.LabelingUi.Auth;

/// <summary>Claims of a signed-in annotator, and reading them back.</summary>
public static class CurrentAnnotator
{
    /// <summary>The claim holding the account's security stamp in a sign-in cookie.</summary>
    public const string SecurityStampClaim = "align:stamp";

    /// <summary>
    /// The principal for an account (id, name, role, and for a cookie the security stamp it is checked against);
    /// it carries no token.
    /// </summary>
    public static ClaimsPrincipal Principal(Annotator annotator, string scheme, string? securityStamp = null)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, annotator.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(ClaimTypes.Name, annotator.Name),
            new(ClaimTypes.Role, annotator.Role.ToCode()),
        };
        if (securityStamp is not null)
            claims.Add(new Claim(SecurityStampClaim, securityStamp));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>The security stamp the cookie was issued with, or null (a cookie from before stamps existed).</summary>
    public static string? SecurityStamp(this ClaimsPrincipal user) => user.FindFirstValue(SecurityStampClaim);

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
