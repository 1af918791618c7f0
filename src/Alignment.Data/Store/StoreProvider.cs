namespace Alignment.Data.Store;

/// <summary>The database engine behind a store.</summary>
public enum StoreProvider
{
    /// <summary>One SQLite file (the default: <c>&lt;home&gt;/align.db</c>).</summary>
    Sqlite,

    /// <summary>A PostgreSQL database shared by several machines.</summary>
    PostgreSql,
}
