using Npgsql;

namespace Alignment.Data.Store;

/// <summary>
/// Where a store lives: <c>sqlite:PATH</c> or a PostgreSQL URL
/// <c>postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=...]</c> (<c>postgres://</c> too).
/// </summary>
/// <param name="Provider">The database engine.</param>
/// <param name="Target">The SQLite file's full path, or the Npgsql connection string.</param>
/// <param name="Display">The location without its password, for messages.</param>
public sealed record StoreLocation(StoreProvider Provider, string Target, string Display)
{
    /// <summary>Query parameters of a PostgreSQL URL and the Npgsql keyword each one sets.</summary>
    private static readonly Dictionary<string, string> UrlParameters = new(StringComparer.Ordinal)
    {
        ["sslmode"] = "SSL Mode",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
        ["search_path"] = "Search Path",
    };

    /// <summary>Parses <paramref name="text"/>; throws <see cref="StoreLocationException"/> naming what is wrong.</summary>
    public static StoreLocation Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new StoreLocationException(text, "is empty");
        if (text.StartsWith("sqlite:", StringComparison.Ordinal))
        {
            var path = text["sqlite:".Length..];
            if (path.Length == 0)
                throw new StoreLocationException(text, "names no file (write sqlite:PATH, e.g. sqlite:.align/align.db)");
            var full = Path.GetFullPath(path);
            return new StoreLocation(StoreProvider.Sqlite, full, "sqlite:" + full);
        }
        if (text.StartsWith("postgresql://", StringComparison.Ordinal) || text.StartsWith("postgres://", StringComparison.Ordinal))
            return ParsePostgreSql(text);
        throw new StoreLocationException(text, "is neither sqlite:PATH nor a postgresql://USER@HOST:PORT/DATABASE URL");
    }

    private static StoreLocation ParsePostgreSql(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new StoreLocationException(Redact(text), "is not a valid URL (expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE)");
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/'))
            throw new StoreLocationException(Redact(text), "names no database (add /DATABASE after the host)");
        var userInfo = uri.UserInfo.Split(':', 2);
        var user = Uri.UnescapeDataString(userInfo[0]);
        if (user.Length == 0)
            throw new StoreLocationException(Redact(text), "names no user (write USER@ before the host)");

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = database,
            Username = user,
        };
        if (userInfo.Length == 2)
            builder.Password = Uri.UnescapeDataString(userInfo[1]);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = pair.Split('=', 2) is [var n, var v] ? (Uri.UnescapeDataString(n), Uri.UnescapeDataString(v)) : (pair, "");
            if (!UrlParameters.TryGetValue(name, out var keyword))
                throw new StoreLocationException(Redact(text),
                    $"has the unknown parameter '{name}' (known: {string.Join(", ", UrlParameters.Keys)})");
            try
            {
                builder[keyword] = value;
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw new StoreLocationException(Redact(text), $"has an invalid {name} '{value}'");
            }
        }
        return new StoreLocation(StoreProvider.PostgreSql, builder.ConnectionString, Redact(text));
    }

    /// <summary><paramref name="url"/> with the password replaced by <c>***</c>.</summary>
    private static string Redact(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        var at = url.LastIndexOf('@');
        if (scheme < 0 || at < scheme)
            return url;
        var colon = url.IndexOf(':', scheme + 3);
        return colon > 0 && colon < at ? url[..(colon + 1)] + "***" + url[at..] : url;
    }
}
