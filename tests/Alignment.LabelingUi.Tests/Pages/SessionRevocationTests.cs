using System.Net;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.Data.Store;
using Alignment.LabelingUi.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace Alignment.LabelingUi.Tests.Pages;

// A sign-in cookie carries its account's security stamp: token rotation, disable and sign-out end every session.
public class SessionRevocationTests
{
    private static readonly Uri Site = new("http://localhost/");

    /// <summary>A browser whose cookie jar the test can read (to copy the sign-in cookie into another client).</summary>
    private static (HttpClient Client, CookieContainer Jar) Browser(LabelingFactory app)
    {
        var jar = new CookieContainer();
        var client = new HttpClient(new CookieContainerHandler(jar) { InnerHandler = app.Server.CreateHandler() }) { BaseAddress = Site };
        return (client, jar);
    }

    /// <summary>GET / with only this cookie header (no jar): 200 while the session is valid, a redirect to sign-in once not.</summary>
    private static Task<HttpResponseMessage> HomeWith(LabelingFactory app, string cookieHeader)
    {
        var client = app.CreateClient(new() { HandleCookies = false, AllowAutoRedirect = false });
        var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("Cookie", cookieHeader);
        return client.SendAsync(request);
    }

    [Fact]
    public async Task Rotating_the_token_through_the_api_ends_the_cookie_session_signed_in_with_the_old_token()
    {
        using var app = new LabelingFactory();
        var admin = app.Api(app.Token("root", AnnotatorRole.Admin));
        var issued = app.Service<AnnotatorService>().Create("ann", AnnotatorRole.Annotator);
        var (browser, jar) = Browser(app);
        await Http.SignIn(browser, issued.Token);
        var cookie = jar.GetCookieHeader(Site);
        Assert.Equal(HttpStatusCode.OK, (await HomeWith(app, cookie)).StatusCode);

        var rotated = await admin.PostAsync($"/api/annotators/{issued.Annotator.Id}/token", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);

        var after = await HomeWith(app, cookie);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/signin", after.Headers.Location!.PathAndQuery);
        // The new token signs in again.
        var (again, againJar) = Browser(app);
        await Http.SignIn(again, (await rotated.Json()).GetProperty("token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await HomeWith(app, againJar.GetCookieHeader(Site))).StatusCode);
    }

    [Fact]
    public async Task A_cookie_copied_before_sign_out_stops_working_after_it()
    {
        using var app = new LabelingFactory();
        var token = app.Token("ann");
        var (browser, jar) = Browser(app);
        await Http.SignIn(browser, token);
        var copy = jar.GetCookieHeader(Site);
        Assert.Equal(HttpStatusCode.OK, (await HomeWith(app, copy)).StatusCode);

        var home = await browser.GetStringAsync("/");
        var signedOut = await browser.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = Http.AntiforgeryToken(home),
        }));
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, (await HomeWith(app, copy)).StatusCode);
        // The login token itself still works: signing out ends sessions, it does not revoke the token.
        Assert.Equal(HttpStatusCode.OK, (await app.Api(token).GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task A_rotation_by_another_process_ends_the_session_once_the_15_s_cache_runs_out()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
        using var app = new LabelingFactory(clock);
        var issued = app.Service<AnnotatorService>().Create("ann", AnnotatorRole.Annotator);
        var (browser, jar) = Browser(app);
        await Http.SignIn(browser, issued.Token);
        var cookie = jar.GetCookieHeader(Site);
        Assert.Equal(HttpStatusCode.OK, (await HomeWith(app, cookie)).StatusCode);

        // `align annotators ...` in another process: its own store and service over the same file.
        new AnnotatorService(AlignStore.Open(app.DatabasePath, clock)).RotateToken(issued.Annotator.Id);

        clock.Advance(TimeSpan.FromSeconds(14));
        Assert.Equal(HttpStatusCode.OK, (await HomeWith(app, cookie)).StatusCode);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HttpStatusCode.Redirect, (await HomeWith(app, cookie)).StatusCode);
    }
}
