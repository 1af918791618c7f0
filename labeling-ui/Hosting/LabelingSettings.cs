namespace Alignment.LabelingUi.Hosting;

/// <summary>Settings the running app resolved: where its state lives.</summary>
/// <param name="Home">Absolute home folder (holds <c>align.db</c> unless the store is elsewhere).</param>
public sealed record LabelingSettings(string Home)
{
    /// <summary>The configuration key of the home folder (<c>--Align:Home</c>, or <c>Align__Home</c> in the environment).</summary>
    public const string HomeKey = "Align:Home";

    /// <summary>
    /// The configuration key of the store (<c>--Align:Store</c>, <c>align serve --store</c>): a <c>postgresql://</c> URL or
    /// <c>sqlite:PATH</c>; unset means <c>ALIGN_STORE</c>, else <c>align.db</c> in the home folder.
    /// </summary>
    public const string StoreKey = "Align:Store";

    /// <summary>Where builds before the store kept the keys that sign cookies (moved into the store once, see <see cref="StoreKeyRepository"/>).</summary>
    public string KeysFolder => Path.Combine(Home, "keys");
}
