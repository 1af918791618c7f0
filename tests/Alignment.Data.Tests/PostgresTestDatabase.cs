using Alignment.Data.Store;
using Dapper;
using Npgsql;

namespace Alignment.Data.Tests;

/// <summary>A fresh database on the test server (<see cref="PostgresFactAttribute.Url"/>) per test, dropped on dispose.</summary>
public sealed class PostgresTestDatabase : IDisposable
{
    private readonly string _server;

    public PostgresTestDatabase()
    {
        var url = PostgresFactAttribute.Url
            ?? throw new InvalidOperationException($"{PostgresFactAttribute.Variable} is not set (CI=true runs the PostgreSQL cases; `bash .ci/run` sets it).");
        _server = StoreLocation.Parse(url).Target;
        Name = "align_t_" + Guid.NewGuid().ToString("N")[..16];
        using (var admin = new NpgsqlConnection(_server))
            admin.Execute($"CREATE DATABASE {Name}");
        ConnectionString = new NpgsqlConnectionStringBuilder(_server) { Database = Name }.ConnectionString;
        var server = new Uri(url);
        Url = new UriBuilder(server) { Path = "/" + Name }.Uri.ToString();
    }

    /// <summary>The database's <c>postgresql://</c> URL (what <c>--store</c> and <c>ALIGN_STORE</c> take).</summary>
    public string Url { get; }

    /// <summary>The database's name (also what messages name it by).</summary>
    public string Name { get; }

    /// <summary>The Npgsql connection string of the database.</summary>
    public string ConnectionString { get; }

    /// <summary>Opens a connection to the database.</summary>
    public NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        using var admin = new NpgsqlConnection(_server);
        admin.Execute($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");
    }
}
