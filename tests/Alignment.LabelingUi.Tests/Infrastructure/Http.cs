using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Alignment.LabelingUi.Tests.Infrastructure;

/// <summary>Small helpers for reading responses and signing in through the real sign-in form.</summary>
public static partial class Http
{
    public static async Task<JsonElement> Json(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts the status and that the body is ProblemDetails whose detail contains <paramref name="detailPart"/>; returns the detail.</summary>
    public static async Task<string> AssertProblem(this HttpResponseMessage response, HttpStatusCode status, string? detailPart = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.ToString());
        var detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString() ?? "";
        Assert.False(string.IsNullOrWhiteSpace(detail), "the problem has no detail message");
        if (detailPart is not null)
            Assert.Contains(detailPart, detail);
        return detail;
    }

    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string url, object body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }

    /// <summary>The antiforgery token of a page (the hidden form field, or the meta tag htmx reads).</summary>
    public static string AntiforgeryToken(string html)
    {
        var match = HiddenToken().Match(html);
        if (!match.Success)
            match = MetaToken().Match(html);
        Assert.True(match.Success, "the page has no antiforgery token");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>A cookie client signed in through GET + POST /signin (the real form, with its antiforgery token).</summary>
    public static async Task<HttpClient> SignedIn(this LabelingFactory factory, string token)
    {
        var client = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await SignIn(client, token);
        return client;
    }

    /// <summary>Signs <paramref name="client"/> in through GET + POST /signin; asserts the redirect that follows success.</summary>
    public static async Task SignIn(HttpClient client, string token)
    {
        var page = await client.GetStringAsync("/signin");
        var response = await client.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin",
            ["__RequestVerificationToken"] = AntiforgeryToken(page),
            ["Token"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    /// <summary>Posts an htmx request (antiforgery token in the header, as app.js sends it).</summary>
    public static async Task<HttpResponseMessage> HtmxPost(this HttpClient client, string pageUrl, string url, IDictionary<string, string> form)
    {
        var page = await client.GetStringAsync(pageUrl);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("HX-Request", "true");
        request.Headers.Add("RequestVerificationToken", AntiforgeryToken(page));
        return await client.SendAsync(request);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex HiddenToken();

    [GeneratedRegex("name=\"csrf-token\" content=\"([^\"]+)\"")]
    private static partial Regex MetaToken();
}
