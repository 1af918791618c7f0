namespace Alignment.LabelingUi.Auth;

/// <summary>The authorization policies, set on endpoint groups and pages.</summary>
public static class AuthPolicies
{
    /// <summary>Signed-in (cookie) annotator or admin: the labeling pages and their htmx endpoints.</summary>
    public const string Annotator = "annotator";

    /// <summary>Signed-in (cookie) admin: the admin pages.</summary>
    public const string Admin = "admin";

    /// <summary>Bearer-token annotator or admin: the labeling part of the REST API.</summary>
    public const string ApiAnnotator = "api-annotator";

    /// <summary>Bearer-token admin: the admin part of the REST API.</summary>
    public const string ApiAdmin = "api-admin";
}

/// <summary>The authentication schemes.</summary>
public static class AuthSchemes
{
    /// <summary>The sign-in cookie (pages, <c>/ui</c> fragments).</summary>
    public const string Cookie = "Cookies";

    /// <summary><c>Authorization: Bearer &lt;token&gt;</c> (the REST API only; cookies are not accepted there).</summary>
    public const string Bearer = "Bearer";
}
