namespace Alignment.Data.Store;

/// <summary>
/// The database was written by a newer build of Alignment (an owner's schema version is above every migration of that
/// owner this build knows). Opening it would risk corrupting data, so it is refused.
/// </summary>
public sealed class SchemaTooNewException : Exception
{
    /// <summary>Creates the error for a database whose <paramref name="owner"/> tables are at <paramref name="fileVersion"/> and a build that knows up to <paramref name="knownVersion"/>.</summary>
    public SchemaTooNewException(string databasePath, string owner, int fileVersion, int knownVersion)
        : base($"The database '{databasePath}' has schema version {fileVersion} of its {owner} tables, but this build of Alignment " +
               $"only knows versions up to {knownVersion}. Upgrade Alignment to open it, or use another store (--home or ALIGN_HOME for a SQLite file, --store or ALIGN_STORE).")
    {
        DatabasePath = databasePath;
        Owner = owner;
        FileVersion = fileVersion;
        KnownVersion = knownVersion;
    }

    /// <summary>The refused database.</summary>
    public string DatabasePath { get; }

    /// <summary>The owner of the tables whose version is too new (see <see cref="MigrationSet"/>).</summary>
    public string Owner { get; }

    /// <summary>The schema version recorded in the database.</summary>
    public int FileVersion { get; }

    /// <summary>The newest schema version this build knows.</summary>
    public int KnownVersion { get; }
}
