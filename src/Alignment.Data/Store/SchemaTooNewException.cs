namespace Alignment.Data.Store;

/// <summary>
/// The database was written by a newer build of Alignment (its schema version is above every
/// migration this build knows). Opening it would risk corrupting data, so it is refused.
/// </summary>
public sealed class SchemaTooNewException : Exception
{
    /// <summary>Creates the error for a file at <paramref name="fileVersion"/> and a build that knows up to <paramref name="knownVersion"/>.</summary>
    public SchemaTooNewException(string databasePath, int fileVersion, int knownVersion)
        : base($"The database '{databasePath}' has schema version {fileVersion}, but this build of Alignment " +
               $"only knows versions up to {knownVersion}. Upgrade Alignment to open it, or point ALIGN_HOME elsewhere.")
    {
        DatabasePath = databasePath;
        FileVersion = fileVersion;
        KnownVersion = knownVersion;
    }

    /// <summary>The refused database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The schema version recorded in the file.</summary>
    public int FileVersion { get; }

    /// <summary>The newest schema version this build knows.</summary>
    public int KnownVersion { get; }
}
