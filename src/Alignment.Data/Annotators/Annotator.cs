using Alignment.Data.Model;

namespace Alignment.Data.Annotators;

/// <summary>An account that labels (and, as admin, manages). Carries no token or token hash.</summary>
/// <param name="Id">Database id.</param>
/// <param name="Name">Unique display and login name.</param>
/// <param name="Role">Admin or annotator.</param>
/// <param name="IsActive">Disabled accounts cannot sign in.</param>
/// <param name="CreatedAt">When the account was created.</param>
public sealed record Annotator(long Id, string Name, AnnotatorRole Role, bool IsActive, DateTimeOffset CreatedAt);

/// <summary>A freshly created (or re-keyed) account with its login token, which is shown once and never stored.</summary>
/// <param name="Annotator">The account.</param>
/// <param name="Token">The login token in clear; only its SHA-256 is kept.</param>
public sealed record IssuedToken(Annotator Annotator, string Token)
{
    /// <summary>Keeps the token out of logs that print records.</summary>
    public override string ToString() => $"IssuedToken {{ Annotator = {Annotator}, Token = *** }}";
}

/// <summary>What a sign-in session is checked against.</summary>
/// <param name="SecurityStamp">Random text replaced on token rotation, disable, enable and sign-out.</param>
/// <param name="IsActive">Disabled accounts have no sessions.</param>
/// <param name="Role">The account's role now.</param>
public sealed record SessionState(string SecurityStamp, bool IsActive, AnnotatorRole Role)
{
    /// <summary>Keeps the stamp out of logs that print records.</summary>
    public override string ToString() => $"SessionState {{ IsActive = {IsActive}, Role = {Role}, SecurityStamp = *** }}";
}
