using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Microsoft.Playwright;

namespace Alignment.LabelingUi.Tests.EndToEnd;

// The interactive (server circuit, MudBlazor) pages in Chromium: the dark theme toggle and its cookie, a confirmation
// dialog that acts over the circuit, the grid's sorting, and navigation between interactive pages and to a static one.
[Trait("Category", "EndToEnd")]
public class InteractivePagesBrowserTests
{
    [Fact]
    public async Task Theme_toggle_persists_dialogs_confirm_over_the_circuit_and_navigation_reaches_static_pages()
    {
        await using var session = await BrowserSession.Start();
        var annotators = session.Service<AnnotatorService>();
        var admin = annotators.Create("admin", AnnotatorRole.Admin);
        var al = annotators.Create("al", AnnotatorRole.Annotator);
        annotators.Create("zed", AnnotatorRole.Annotator);
        var project = E2eData.Project(session);
        var (context, page, errors) = await session.SignIn(admin.Token);

        // The theme: light by default; the toggle reloads the page dark, and the next page is dark too (cookie).
        await page.GotoAsync($"{session.Url}/admin/annotators");
        const string isDark = "() => document.documentElement.classList.contains('theme-dark')";
        const string background = "() => getComputedStyle(document.body).backgroundColor";
        Assert.False(await page.EvaluateAsync<bool>(isDark));
        Assert.Equal("rgb(245, 246, 248)", await page.EvaluateAsync<string>(background));
        await page.Locator("[data-theme-toggle] button").ClickAsync();
        await page.WaitForFunctionAsync(isDark);
        Assert.EndsWith("/admin/annotators", page.Url);
        await page.GotoAsync($"{session.Url}/admin");
        Assert.True(await page.EvaluateAsync<bool>(isDark));
        Assert.Equal("rgb(18, 21, 28)", await page.EvaluateAsync<string>(background));

        // Disabling asks first: Cancel changes nothing; Disable (over the circuit) disables the account.
        await page.GotoAsync($"{session.Url}/admin/annotators");
        await page.Locator("main[data-interactive=true]").WaitForAsync();   // the circuit is up: clicks reach the server
        var toggle = page.Locator("[data-toggle='al']");
        await toggle.ClickAsync();
        await page.Locator("[data-cancel]").ClickAsync();
        await page.Locator("[data-cancel]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached });
        Assert.True(annotators.List().Single(a => a.Id == al.Annotator.Id).IsActive);
        await toggle.ClickAsync();
        await page.Locator("[data-confirm]").ClickAsync();
        await Assertions.Expect(toggle).ToHaveTextAsync("Enable");
        Assert.False(annotators.List().Single(a => a.Id == al.Annotator.Id).IsActive);
        await Assertions.Expect(page.Locator(".mud-snackbar")).ToContainTextAsync("al is disabled.");

        // The grid sorts by a click on the column header.
        var names = page.Locator("[data-annotator-name]");
        await page.Locator("th .sortable-column-header", new PageLocatorOptions { HasText = "Name" }).ClickAsync();
        await Assertions.Expect(names).ToHaveTextAsync(["admin", "al", "zed"]);
        await page.Locator("th .sortable-column-header", new PageLocatorOptions { HasText = "Name" }).ClickAsync();
        await Assertions.Expect(names).ToHaveTextAsync(["zed", "al", "admin"]);

        // To another interactive page (the home page, its projects grid) through the navigation menu, then to a static
        // one (the workflows list): a full page load.
        await page.Locator("nav[aria-label='Main'] a", new PageLocatorOptions { HasText = "My projects" }).ClickAsync();
        await page.WaitForURLAsync($"{session.Url}/");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Hello, admin");
        await Assertions.Expect(page.Locator("[data-project-row='python-answers']")).ToHaveAttributeAsync("href", $"/label/{project.Id}");
        await page.Locator("nav[aria-label='Main'] a", new PageLocatorOptions { HasText = "Workflows" }).ClickAsync();
        await page.WaitForURLAsync($"{session.Url}/workflows");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Workflows");
        Assert.Empty(errors);
        await context.CloseAsync();
    }
}
