using System.Data.Common;
using Npgsql;

namespace Alignment.Data.Store;

/// <summary>
/// "Value is in this list" in each dialect, for a list bound as one Dapper parameter. On SQLite Dapper expands
/// <c>IN @ids</c> into one parameter per element; Npgsql takes the list as one array parameter, where PostgreSQL needs
/// <c>= ANY(@ids)</c> (<c>IN $1</c> is a syntax error there).
/// </summary>
public static class SqlLists
{
    /// <summary>The condition that follows a column: <c>IN @<paramref name="parameter"/></c> or <c>= ANY(@<paramref name="parameter"/>)</c>.</summary>
    public static string In(DbConnection connection, string parameter) =>
        connection is NpgsqlConnection ? $"= ANY(@{parameter})" : $"IN @{parameter}";
}
