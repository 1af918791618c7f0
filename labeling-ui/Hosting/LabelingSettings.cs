namespace Alignment.LabelingUi.Hosting;

/// <summary>Settings the running app resolved: where its state lives.</summary>
/// <param name="Home">Absolute home folder (holds <c>align.db</c> and the cookie-signing keys).</param>
public sealed record LabelingSettings(string Home)
{
    /// <summary>The configuration key of the home folder (<c>--Align:Home</c>, or <c>Align__Home</c> in the environment).</summary>
    public const string HomeKey = "Align:Home";

    /// <summary>Where the data-protection keys that sign cookies and antiforgery tokens are kept.</summary>
    public string KeysFolder => Path.Combine(Home, "keys");
}
