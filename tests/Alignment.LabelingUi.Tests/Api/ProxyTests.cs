using System.Net;
using System.Text.RegularExpressions;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.LabelingUi.Hosting;
using Alignment.LabelingUi.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Alignment.LabelingUi.Tests.Api;

// `align serve --behind-proxy`: X-Forwarded-Proto from a trusted proxy makes the sign-in cookie Secure; otherwise the
// header is ignored. Run on a real Kestrel listener on loopback, so the proxy is 127.0.0.1.
public sealed partial class ProxyTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("align-ui-proxy-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    /// <summary>The Set-Cookie line of the sign-in cookie after signing in through the form, with or without X-Forwarded-Proto: https.</summary>
    private async Task<string> SignInCookie(LabelingAppOptions options, bool forwardedHttps)
    {
        await using var app = LabelingApp.Create(options with { Home = _home, Port = 0, Quiet = true });
        await app.StartAsync();
        var token = app.Services.GetRequiredService<AnnotatorService>().Create("ann-" + Guid.NewGuid().ToString("N")[..6], AnnotatorRole.Annotator).Token;
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri(app.ListeningUrl()) };

        var get = new HttpRequestMessage(HttpMethod.Get, "/signin");
        if (forwardedHttps) get.Headers.Add("X-Forwarded-Proto", "https");
        var page = await client.SendAsync(get);
        var antiforgeryCookie = page.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("align.af=")).Split(';')[0];

        var post = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "signin", ["__RequestVerificationToken"] = Http.AntiforgeryToken(await page.Content.ReadAsStringAsync()), ["Token"] = token,
            }),
        };
        post.Headers.Add("Cookie", antiforgeryCookie);
        if (forwardedHttps) post.Headers.Add("X-Forwarded-Proto", "https");
        var signedIn = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        await app.StopAsync();
        return signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("align.auth="));
    }

    private static bool IsSecure(string setCookie) => SecureAttribute().IsMatch(setCookie);

    [Fact]
    public async Task Behind_a_proxy_that_says_https_the_sign_in_cookie_is_Secure()
    {
        Assert.True(IsSecure(await SignInCookie(new LabelingAppOptions { BehindProxy = true }, forwardedHttps: true)));
        Assert.False(IsSecure(await SignInCookie(new LabelingAppOptions { BehindProxy = true }, forwardedHttps: false)));
    }

    [Fact]
    public async Task Without_behind_proxy_or_from_an_untrusted_proxy_the_header_is_ignored()
    {
        Assert.False(IsSecure(await SignInCookie(new LabelingAppOptions(), forwardedHttps: true)));
        var elsewhere = new LabelingAppOptions { BehindProxy = true, Proxies = [IPNetwork.Parse("10.9.9.9/32")] };
        Assert.False(IsSecure(await SignInCookie(elsewhere, forwardedHttps: true)));
    }

    [Fact]
    public async Task Behind_a_proxy_rate_limits_count_each_forwarded_client_on_its_own()
    {
        await using var app = LabelingApp.Create(new LabelingAppOptions
        {
            Home = _home, Port = 0, Quiet = true, BehindProxy = true, Args = ["--Align:FailedBearerLimit=2"],
        });
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.ListeningUrl()) };
        async Task<HttpStatusCode> Call(string forwardedFor)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
            request.Headers.Add("Authorization", "Bearer aln_wrong");
            request.Headers.Add("X-Forwarded-For", forwardedFor);
            return (await client.SendAsync(request)).StatusCode;
        }

        var first = new[] { await Call("203.0.113.7"), await Call("203.0.113.7"), await Call("203.0.113.7") };
        var second = await Call("198.51.100.9");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], first);
        Assert.Equal(HttpStatusCode.Unauthorized, second);
        await app.StopAsync();
    }

    [Theory]
    [InlineData("10.0.0.5", true)]
    [InlineData("10.0.0.0/24", true)]
    [InlineData("::1", true)]
    [InlineData("proxy.example", false)]
    [InlineData("10.0.0.0/99", false)]
    public void Proxy_values_are_addresses_or_networks(string text, bool valid) =>
        Assert.Equal(valid, ProxyHeaders.TryParse(text, out _));

    [GeneratedRegex(@";\s*secure(;|$)", RegexOptions.IgnoreCase)]
    private static partial Regex SecureAttribute();
}
