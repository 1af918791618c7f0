using Alignment.Data.Model;
using Alignment.Data.Store;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Alignment.Data.Annotators;

/// <summary>Creates accounts, issues login tokens (shown once) and authenticates by token hash.</summary>
public sealed class AnnotatorService(AlignStore store)
{
    private const string Columns = "id, name, role, is_active, created_at";

    /// <summary>Creates an account and returns it with its token. Throws <see cref="DuplicateNameException"/>.</summary>
    public IssuedToken Create(string name, AnnotatorRole role)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100)
            throw new InvalidRequestException("The annotator name must be 1 to 100 characters.");
        var token = LoginTokens.NewToken();
        var annotator = store.Write((connection, transaction) =>
        {
            if (connection.ExecuteScalar<long?>("SELECT id FROM annotators WHERE name = @name", new { name }, transaction) is not null)
                throw new DuplicateNameException("annotator", name);
            var id = connection.ExecuteScalar<long>(
                "INSERT INTO annotators (name, role, token_hash, is_active, created_at) VALUES (@name, @Role, @Hash, 1, @Now) RETURNING id",
                new { name, Role = role.ToCode(), Hash = LoginTokens.Hash(token), Now = store.NowText() }, transaction);
            return Load(connection, transaction, id);
        });
        return new IssuedToken(annotator, token);
    }

    /// <summary>The active account whose token this is, or null for an unknown, malformed or disabled token.</summary>
    public Annotator? Authenticate(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200)
            return null;
        var hash = LoginTokens.Hash(token);
        return store.Read(connection => connection.QuerySingleOrDefault<AnnotatorRow>(
            $"SELECT {Columns} FROM annotators WHERE token_hash = @hash AND is_active = 1", new { hash }))?.ToAnnotator();
    }

    /// <summary>Replaces the account's token; the old one stops working at once.</summary>
    public IssuedToken RotateToken(long annotatorId)
    {
        var token = LoginTokens.NewToken();
        var annotator = store.Write((connection, transaction) =>
        {
            var updated = connection.Execute("UPDATE annotators SET token_hash = @Hash WHERE id = @annotatorId",
                new { annotatorId, Hash = LoginTokens.Hash(token) }, transaction);
            if (updated == 0)
                throw new NotFoundException("annotator", annotatorId);
            return Load(connection, transaction, annotatorId);
        });
        return new IssuedToken(annotator, token);
    }

    /// <summary>Enables or disables an account.</summary>
    public Annotator SetActive(long annotatorId, bool active) => store.Write((connection, transaction) =>
    {
        if (connection.Execute("UPDATE annotators SET is_active = @active WHERE id = @annotatorId", new { annotatorId, active }, transaction) == 0)
            throw new NotFoundException("annotator", annotatorId);
        return Load(connection, transaction, annotatorId);
    });

    /// <summary>The account with this id; throws <see cref="NotFoundException"/>.</summary>
    public Annotator Get(long annotatorId) => store.Read(connection => Load(connection, null, annotatorId));

    /// <summary>The account with this name, or null.</summary>
    public Annotator? Find(string name) => store.Read(connection => connection.QuerySingleOrDefault<AnnotatorRow>(
        $"SELECT {Columns} FROM annotators WHERE name = @name", new { name }))?.ToAnnotator();

    /// <summary>All accounts by name.</summary>
    public IReadOnlyList<Annotator> List() => store.Read(connection =>
        connection.Query<AnnotatorRow>($"SELECT {Columns} FROM annotators ORDER BY name").Select(r => r.ToAnnotator()).ToList());

    internal static Annotator Load(SqliteConnection connection, SqliteTransaction? transaction, long id) =>
        connection.QuerySingleOrDefault<AnnotatorRow>($"SELECT {Columns} FROM annotators WHERE id = @id", new { id }, transaction)?.ToAnnotator()
        ?? throw new NotFoundException("annotator", id);

    private sealed class AnnotatorRow
    {
        public long Id { get; set; }
        public string Name { get; set; } = "";
        public string Role { get; set; } = "";
        public long IsActive { get; set; }
        public string CreatedAt { get; set; } = "";

        public Annotator ToAnnotator() =>
            new(Id, Name, AnnotatorRoleCodes.Parse(Role), IsActive != 0, Timestamps.Parse(CreatedAt));
    }
}
