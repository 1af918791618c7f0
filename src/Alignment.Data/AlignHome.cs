namespace Alignment.Data;

/// <summary>
/// Where Alignment keeps its state: a folder (default <c>./.align</c>, overridden by the
/// <c>ALIGN_HOME</c> environment variable or an explicit <c>--home</c>) holding <c>align.db</c>.
/// </summary>
public static class AlignHome
{
    /// <summary>The environment variable that overrides the home folder.</summary>
    public const string EnvironmentVariable = "ALIGN_HOME";

    /// <summary>The default home folder name, relative to the current directory.</summary>
    public const string DefaultFolderName = ".align";

    /// <summary>
    /// The environment variable naming the store when it is not the home folder's SQLite file: <c>sqlite:PATH</c> or a
    /// <c>postgresql://</c> URL (see <see cref="Store.StoreLocation"/>). The home folder still holds the artifacts.
    /// </summary>
    public const string StoreEnvironmentVariable = "ALIGN_STORE";

    /// <summary>The database file name inside the home folder.</summary>
    public const string DatabaseFileName = "align.db";

    /// <summary>
    /// The home folder: <paramref name="explicitHome"/> when given, else <c>ALIGN_HOME</c> when set
    /// and non-empty, else <c>./.align</c>. Always an absolute path; the folder is not created.
    /// </summary>
    public static string Resolve(string? explicitHome = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitHome))
            return Path.GetFullPath(explicitHome);
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            return Path.GetFullPath(fromEnvironment);
        return Path.GetFullPath(DefaultFolderName);
    }

    /// <summary>The database file path inside <see cref="Resolve"/>'s folder.</summary>
    public static string DatabasePath(string? explicitHome = null) =>
        Path.Combine(Resolve(explicitHome), DatabaseFileName);

    /// <summary>
    /// Where the store lives: <paramref name="explicitStore"/> when given (a <c>--store</c> option), else <c>ALIGN_STORE</c>
    /// when set and non-empty, else the SQLite file in <see cref="Resolve"/>'s folder. Throws
    /// <see cref="Store.StoreLocationException"/> for a location that cannot be parsed.
    /// </summary>
    public static Store.StoreLocation StoreLocation(string? explicitHome = null, string? explicitStore = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitStore))
            return Store.StoreLocation.Parse(explicitStore);
        var fromEnvironment = Environment.GetEnvironmentVariable(StoreEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            return Store.StoreLocation.Parse(fromEnvironment);
        return Store.StoreLocation.Parse("sqlite:" + DatabasePath(explicitHome));
    }
}
