using System.Net;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Pages;

// Cookie sign-in through the page, redirects, sign-out, and antiforgery on these forms.
public class SignInTests
{
    private static FormUrlEncodedContent Form(string? antiforgery, string token, string? returnUrl = null)
    {
        var fields = new Dictionary<string, string> { ["_handler"] = "signin", ["Token"] = token };
        if (antiforgery is not null) fields["__RequestVerificationToken"] = antiforgery;
        if (returnUrl is not null) fields["ReturnUrl"] = returnUrl;
        return new FormUrlEncodedContent(fields);
    }

    [Fact]
    public async Task The_sign_in_page_has_a_token_field_and_an_antiforgery_token()
    {
        using var app = new LabelingFactory();
        var html = await app.CreateClient().GetStringAsync("/signin");

        Assert.Contains("name=\"Token\"", html);
        Assert.Contains("type=\"password\"", html);
        Assert.NotEmpty(Http.AntiforgeryToken(html));
        Assert.DoesNotContain("htmx", html);   // htmx loads on the labeling page only
    }

    [Fact]
    public async Task A_wrong_token_is_401_with_a_message_and_no_session()
    {
        using var app = new LabelingFactory();
        var client = app.CreateClient(new() { AllowAutoRedirect = false });
        var page = await client.GetStringAsync("/signin");

        var response = await client.PostAsync("/signin", Form(Http.AntiforgeryToken(page), "aln_nope"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("That token is not valid", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task A_sign_in_form_without_antiforgery_token_is_400_with_a_message()
    {
        using var app = new LabelingFactory();
        var client = app.CreateClient(new() { AllowAutoRedirect = false });

        var response = await client.PostAsync("/signin", Form(null, app.Token("ann")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("antiforgery", (await response.Content.ReadAsStringAsync()).ToLowerInvariant());
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
    }

    [Theory]
    [InlineData("/label/1", "/label/1")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/", "/")]
    public async Task Sign_in_follows_only_local_return_urls(string returnUrl, string expected)
    {
        using var app = new LabelingFactory();
        var client = app.CreateClient(new() { AllowAutoRedirect = false });
        var page = await client.GetStringAsync("/signin");

        var response = await client.PostAsync("/signin", Form(Http.AntiforgeryToken(page), app.Token("ann"), returnUrl));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(expected, response.Headers.Location!.IsAbsoluteUri ? response.Headers.Location.PathAndQuery : response.Headers.Location.OriginalString);
    }

    [Fact]
    public async Task Pages_redirect_to_sign_in_and_htmx_requests_get_401_with_HX_Redirect()
    {
        using var app = new LabelingFactory();
        var client = app.CreateClient(new() { AllowAutoRedirect = false });

        var page = await client.GetAsync("/label/1");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/signin", page.Headers.Location!.PathAndQuery);

        var request = new HttpRequestMessage(HttpMethod.Get, "/ui/projects/1/item");
        request.Headers.Add("HX-Request", "true");
        var fragment = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, fragment.StatusCode);
        Assert.Equal("/signin", fragment.Headers.GetValues("HX-Redirect").Single());
    }

    [Fact]
    public async Task Sign_out_needs_the_antiforgery_token_and_ends_the_session()
    {
        using var app = new LabelingFactory();
        var browser = await app.SignedIn(app.Token("ann"));

        var forged = await browser.PostAsync("/signout", new FormUrlEncodedContent([]));
        await forged.AssertProblem(HttpStatusCode.BadRequest, "antiforgery");
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);

        var home = await browser.GetStringAsync("/");
        var real = await browser.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = Http.AntiforgeryToken(home) }));
        Assert.Equal(HttpStatusCode.Redirect, real.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task A_disabled_account_loses_its_signed_in_session()
    {
        using var app = new LabelingFactory();
        var issued = app.Service<Data.Annotators.AnnotatorService>().Create("ivy", Data.Model.AnnotatorRole.Annotator);
        var browser = await app.SignedIn(issued.Token);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);

        app.Service<Data.Annotators.AnnotatorService>().SetActive(issued.Annotator.Id, false);

        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/")).StatusCode);
    }
}
