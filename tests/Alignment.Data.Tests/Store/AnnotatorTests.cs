using Alignment.Data.Store;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Dapper;

namespace Alignment.Data.Tests.Store;

public class AnnotatorTests
{
    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Token_is_shown_once_and_only_its_sha256_is_stored(StoreProvider provider)
    {
        using var db = new TestDb(provider);
        var issued = db.Annotators.Create("ada", AnnotatorRole.Admin);
        Assert.StartsWith(LoginTokens.Prefix, issued.Token);
        Assert.True(issued.Token.Length >= 40);
        Assert.DoesNotContain(issued.Token, issued.ToString());

        var stored = db.Store.Read(c => c.ExecuteScalar<string>("SELECT token_hash FROM annotators WHERE id = @Id", new { issued.Annotator.Id }));
        Assert.Equal(LoginTokens.Hash(issued.Token), stored);
        Assert.NotEqual(issued.Token, stored);
        Assert.Equal(64, stored!.Length);
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", LoginTokens.Hash("abc"));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Authenticate_finds_by_hash_and_rejects_wrong_rotated_and_disabled_tokens(StoreProvider provider)
    {
        using var db = new TestDb(provider);
        var issued = db.Annotators.Create("bob", AnnotatorRole.Annotator);
        Assert.Equal(issued.Annotator, db.Annotators.Authenticate(issued.Token));
        Assert.Null(db.Annotators.Authenticate(issued.Token + "x"));
        Assert.Null(db.Annotators.Authenticate(""));
        Assert.Null(db.Annotators.Authenticate(null));

        var rotated = db.Annotators.RotateToken(issued.Annotator.Id);
        Assert.Null(db.Annotators.Authenticate(issued.Token));
        Assert.Equal(issued.Annotator.Id, db.Annotators.Authenticate(rotated.Token)!.Id);

        db.Annotators.SetActive(issued.Annotator.Id, false);
        Assert.Null(db.Annotators.Authenticate(rotated.Token));
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Names_are_unique_and_roles_round_trip(StoreProvider provider)
    {
        using var db = new TestDb(provider);
        db.Annotators.Create("cy", AnnotatorRole.Admin);
        Assert.Throws<DuplicateNameException>(() => db.Annotators.Create("cy", AnnotatorRole.Annotator));
        Assert.Equal(AnnotatorRole.Admin, db.Annotators.Find("cy")!.Role);
        Assert.Throws<NotFoundException>(() => db.Annotators.Get(12345));
    }

    [Fact]
    public void Two_tokens_are_never_equal()
    {
        var tokens = Enumerable.Range(0, 1000).Select(_ => LoginTokens.NewToken()).ToHashSet();
        Assert.Equal(1000, tokens.Count);
    }

    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void The_security_stamp_changes_on_rotation_disable_enable_and_ending_sessions_only(StoreProvider provider)
    {
        using var db = new TestDb(provider);
        var id = db.Annotators.Create("sam", AnnotatorRole.Annotator).Annotator.Id;
        var other = db.Annotators.Create("tia", AnnotatorRole.Annotator).Annotator.Id;
        var stamps = new List<string> { db.Annotators.SessionOf(id)!.SecurityStamp };
        var otherStamp = db.Annotators.SessionOf(other)!.SecurityStamp;
        Assert.NotEqual(stamps[0], otherStamp);

        Assert.Equal(stamps[0], db.Annotators.SessionOf(id)!.SecurityStamp);
        db.Annotators.RotateToken(id);
        stamps.Add(db.Annotators.SessionOf(id)!.SecurityStamp);
        db.Annotators.SetActive(id, false);
        stamps.Add(db.Annotators.SessionOf(id)!.SecurityStamp);
        Assert.False(db.Annotators.SessionOf(id)!.IsActive);
        db.Annotators.SetActive(id, true);
        stamps.Add(db.Annotators.SessionOf(id)!.SecurityStamp);
        var revision = db.Annotators.Revision;
        db.Annotators.EndSessions(id);
        stamps.Add(db.Annotators.SessionOf(id)!.SecurityStamp);

        Assert.Equal(5, stamps.Distinct().Count());
        Assert.Equal(revision + 1, db.Annotators.Revision);
        Assert.Equal(otherStamp, db.Annotators.SessionOf(other)!.SecurityStamp);
        Assert.Null(db.Annotators.SessionOf(999));
        Assert.Throws<NotFoundException>(() => db.Annotators.EndSessions(999));
        Assert.DoesNotContain(stamps[^1], db.Annotators.SessionOf(id)!.ToString());
    }
}
