namespace Alignment.LabelingUi.Hosting;

/// <summary>
/// How long a sign-in cookie's security stamp check is cached, and the rate limits on authentication, read from
/// configuration (<c>--Align:SignInLimit=N</c> as a host argument, or <c>Align__SignInLimit</c> in the environment).
/// The defaults are far above what a team does: a person signs in once per browser and per 12 hours, and a client with
/// a valid token never fails.
/// </summary>
/// <param name="SessionCacheSeconds">How long a cookie's stamp check is reused before the store is asked again (default 15 s).</param>
/// <param name="SignInLimit">Sign-in form posts allowed per client address per window (default 60).</param>
/// <param name="FailedBearerLimit">API calls with a wrong bearer token allowed per client address per window (default 60).</param>
/// <param name="WindowSeconds">The rate-limit window (default 60 s).</param>
public sealed record AccessSettings(int SessionCacheSeconds = 15, int SignInLimit = 60, int FailedBearerLimit = 60, int WindowSeconds = 60)
{
    /// <summary>The configuration section (<c>Align</c>).</summary>
    public const string Section = "Align";

    /// <summary>Reads the settings; a value that is not a whole number in range throws, naming the key.</summary>
    public static AccessSettings From(IConfiguration configuration)
    {
        var defaults = new AccessSettings();
        return new AccessSettings(
            Read(configuration, nameof(SessionCacheSeconds), defaults.SessionCacheSeconds, 0),
            Read(configuration, nameof(SignInLimit), defaults.SignInLimit, 1),
            Read(configuration, nameof(FailedBearerLimit), defaults.FailedBearerLimit, 1),
            Read(configuration, nameof(WindowSeconds), defaults.WindowSeconds, 1));
    }

    private static int Read(IConfiguration configuration, string name, int fallback, int min)
    {
        var text = configuration[$"{Section}:{name}"];
        if (string.IsNullOrWhiteSpace(text))
            return fallback;
        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw new InvalidOperationException($"Setting {Section}:{name} is '{text}'; it must be a whole number of at least {min}.");
    }
}
