using Microsoft.Data.Sqlite;

namespace Alignment.Data.Store;

/// <summary>
/// The database file cannot be used: it is not an SQLite database (garbage or truncated), it is damaged, or it (or its
/// folder) cannot be written. The message names the file and says what to check.
/// </summary>
public sealed class StoreFileException : Exception
{
    private StoreFileException(string databasePath, string problem, Exception inner)
        : base($"{databasePath}: {problem}", inner) => DatabasePath = databasePath;

    /// <summary>The database file at fault.</summary>
    public string DatabasePath { get; }

    /// <summary>
    /// The file-level error <paramref name="e"/> stands for, or null when it is about a statement (a constraint, a bug)
    /// rather than the file.
    /// </summary>
    public static StoreFileException? From(string databasePath, SqliteException e)
    {
        // Primary result codes (the low byte of an extended code), https://www.sqlite.org/rescode.html
        string? problem = (e.SqliteErrorCode & 0xFF) switch
        {
            26 => "is not an align database (SQLite: file is not a database); move it away or point --home elsewhere",
            11 => "is damaged (SQLite: database disk image is malformed); restore it from a backup or point --home elsewhere",
            8 => "cannot be written (a read-only file or file system); check its permissions",
            3 or 14 => "cannot be opened or created (check that it and its folder exist and can be written: SQLite keeps align.db-wal and align.db-shm beside it)",
            10 => $"could not be read or written (SQLite I/O error: {e.Message.Replace("SQLite Error ", "")})",
            13 => "cannot grow: the disk is full",
            _ => null,
        };
        return problem is null ? null : new StoreFileException(databasePath, problem, e);
    }
}
