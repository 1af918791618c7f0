using Alignment.Data.Model;
using Alignment.Data.Store;
using Dapper;
using System.Data.Common;

namespace Alignment.Data.Annotators;

/// <summary>
/// Creates accounts, issues login tokens (shown once) and authenticates by token hash. Each account also has a
/// security stamp, replaced on token rotation, disable, enable and sign-out: sign-in cookies carry the stamp they were
/// issued with and stop working once it changed.
/// </summary>
public sealed class AnnotatorService(AlignStore store)
{
    private const string Columns = "id, name, role, is_active, created_at";
    private long _revision;

    /// <summary>
    /// Goes up by one with every account change made through this instance, so in-process caches of
    /// <see cref="SessionOf"/> can drop what they hold at once (changes by another process show when their entries age out).
    /// </summary>
    public long Revision => Interlocked.Read(ref _revision);

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
                "INSERT INTO annotators (name, role, token_hash, is_active, created_at, security_stamp) VALUES (@name, @Role, @Hash, 1, @Now, @Stamp) RETURNING id",
                new { name, Role = role.ToCode(), Hash = LoginTokens.Hash(token), Now = store.NowText(), Stamp = NewStamp() }, transaction);
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

    /// <summary>Replaces the account's token and security stamp; the old token and every signed-in session stop working.</summary>
    public IssuedToken RotateToken(long annotatorId)
    {
        var token = LoginTokens.NewToken();
        var annotator = Change(annotatorId, "token_hash = @Hash", new { annotatorId, Hash = LoginTokens.Hash(token), Stamp = NewStamp() });
        return new IssuedToken(annotator, token);
    }

    /// <summary>Enables or disables an account; either way its signed-in sessions end (new security stamp).</summary>
    public Annotator SetActive(long annotatorId, bool active) =>
        Change(annotatorId, "is_active = @active", new { annotatorId, active = active ? 1L : 0L, Stamp = NewStamp() });

    /// <summary>Ends every signed-in session of the account (new security stamp); its token keeps working.</summary>
    public void EndSessions(long annotatorId) => Change(annotatorId, null, new { annotatorId, Stamp = NewStamp() });

    /// <summary>What a sign-in cookie is checked against: the account's stamp, state and role; null when it does not exist.</summary>
    public SessionState? SessionOf(long annotatorId) => store.Read(connection =>
        connection.QuerySingleOrDefault<(string Stamp, long IsActive, string Role)?>(
            "SELECT security_stamp, is_active, role FROM annotators WHERE id = @annotatorId", new { annotatorId })) is { } row
        ? new SessionState(row.Stamp, row.IsActive != 0, AnnotatorRoleCodes.Parse(row.Role))
        : null;

    /// <summary>Sets <paramref name="assignments"/> (column = @parameter; null: none) and a new stamp; bumps <see cref="Revision"/>.</summary>
    private Annotator Change(long annotatorId, string? assignments, object parameters)
    {
        var annotator = store.Write((connection, transaction) =>
        {
            var set = assignments is null ? "security_stamp = @Stamp" : $"{assignments}, security_stamp = @Stamp";
            if (connection.Execute($"UPDATE annotators SET {set} WHERE id = @annotatorId", parameters, transaction) == 0)
                throw new NotFoundException("annotator", annotatorId);
            return Load(connection, transaction, annotatorId);
        });
        Interlocked.Increment(ref _revision);
        return annotator;
    }

    private static string NewStamp() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>The account with this id; throws <see cref="NotFoundException"/>.</summary>
    public Annotator Get(long annotatorId) => store.Read(connection => Load(connection, null, annotatorId));

    /// <summary>The account with this name, or null.</summary>
    public Annotator? Find(string name) => store.Read(connection => connection.QuerySingleOrDefault<AnnotatorRow>(
        $"SELECT {Columns} FROM annotators WHERE name = @name", new { name }))?.ToAnnotator();

    /// <summary>All accounts by name.</summary>
    public IReadOnlyList<Annotator> List() => store.Read(connection =>
        connection.Query<AnnotatorRow>($"SELECT {Columns} FROM annotators ORDER BY name").Select(r => r.ToAnnotator()).ToList());

    internal static Annotator Load(DbConnection connection, DbTransaction? transaction, long id) =>
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
