using System.Net;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Api;

// Accounts through the admin API: the token is returned once, only its hash is stored.
public class AnnotatorsApiTests
{
    [Fact]
    public async Task Create_returns_a_working_token_that_is_stored_only_as_a_hash()
    {
        using var app = new LabelingFactory();
        var admin = app.Api(app.Token("root", AnnotatorRole.Admin));

        var created = await admin.PostJson("/api/annotators", new { name = "gina", role = "annotator" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Json();
        var token = body.GetProperty("token").GetString()!;
        Assert.StartsWith("aln_", token);

        var me = await (await app.Api(token).GetAsync("/api/me")).Json();
        Assert.Equal("gina", me.GetProperty("name").GetString());
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM annotators WHERE token_hash = @token", new { token }));
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM annotators WHERE token_hash = @hash", new { hash = Data.Annotators.LoginTokens.Hash(token) }));

        var list = await (await admin.GetAsync("/api/annotators")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(token, list);
        Assert.DoesNotContain("token", list);
    }

    [Fact]
    public async Task Duplicate_names_and_unknown_roles_are_refused()
    {
        using var app = new LabelingFactory();
        var admin = app.Api(app.Token("root", AnnotatorRole.Admin));

        await (await admin.PostJson("/api/annotators", new { name = "root" })).AssertProblem(HttpStatusCode.Conflict, "already exists");
        await (await admin.PostJson("/api/annotators", new { name = "x", role = "owner" })).AssertProblem(HttpStatusCode.BadRequest, "role 'owner'");
        await (await admin.PostJson("/api/annotators", new { name = "" })).AssertProblem(HttpStatusCode.BadRequest, "name");
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM annotators"));
    }

    [Fact]
    public async Task Disable_enable_and_token_rotation_take_effect_at_once()
    {
        using var app = new LabelingFactory();
        var admin = app.Api(app.Token("root", AnnotatorRole.Admin));
        var created = await (await admin.PostJson("/api/annotators", new { name = "hal" })).Json();
        var id = created.GetProperty("annotator").GetProperty("id").GetInt64();
        var oldToken = created.GetProperty("token").GetString();

        await admin.PostAsync($"/api/annotators/{id}/disable", null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Api(oldToken).GetAsync("/api/me")).StatusCode);
        await admin.PostAsync($"/api/annotators/{id}/enable", null);
        Assert.Equal(HttpStatusCode.OK, (await app.Api(oldToken).GetAsync("/api/me")).StatusCode);

        var rotated = await (await admin.PostAsync($"/api/annotators/{id}/token", null)).Json();
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Api(oldToken).GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Api(rotated.GetProperty("token").GetString()).GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task Admins_cannot_disable_themselves_and_unknown_accounts_are_404()
    {
        using var app = new LabelingFactory();
        var admin = app.Api(app.Token("root", AnnotatorRole.Admin));
        var me = (await (await admin.GetAsync("/api/me")).Json()).GetProperty("id").GetInt64();

        await (await admin.PostAsync($"/api/annotators/{me}/disable", null)).AssertProblem(HttpStatusCode.BadRequest, "your own account");
        await (await admin.PostAsync("/api/annotators/999/disable", null)).AssertProblem(HttpStatusCode.NotFound, "annotator 999");
    }
}
