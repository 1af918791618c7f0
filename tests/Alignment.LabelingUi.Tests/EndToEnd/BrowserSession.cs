using Alignment.Data.Store;
using Alignment.LabelingUi.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Alignment.LabelingUi.Tests.EndToEnd;

/// <summary>
/// A real server (Kestrel on 127.0.0.1, a free port, a temporary home) and Debian's Chromium driven by Playwright.
/// No browser is ever downloaded: the executable is /usr/bin/chromium (or $ALIGN_CHROMIUM), installed by
/// <c>bash .ci/setup</c>. Without it the test fails with that instruction; it is never skipped.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    public static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private BrowserSession(string home, WebApplication server, IPlaywright playwright, IBrowser browser)
    {
        Home = home;
        Server = server;
        Playwright = playwright;
        Browser = browser;
        Url = server.ListeningUrl();
    }

    public string Home { get; }
    public WebApplication Server { get; }
    public IPlaywright Playwright { get; }
    public IBrowser Browser { get; }
    public string Url { get; }

    public T Service<T>() where T : notnull => Server.Services.GetRequiredService<T>();
    public AlignStore Store => Service<AlignStore>();

    public static string ChromiumPath => Environment.GetEnvironmentVariable("ALIGN_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static async Task<BrowserSession> Start()
    {
        Assert.True(File.Exists(ChromiumPath),
            $"Chromium is not installed at {ChromiumPath}. The end-to-end tests drive Debian's chromium package: run `bash .ci/setup` " +
            "(or `apt-get install -y chromium`), or point ALIGN_CHROMIUM at a Chromium binary. Browsers are never downloaded.");
        var home = Directory.CreateTempSubdirectory("align-e2e-").FullName;
        var server = LabelingApp.Create(new LabelingAppOptions { Home = home, Port = 0, Quiet = true });
        await server.StartAsync();
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
        return new BrowserSession(home, server, playwright, browser);
    }

    /// <summary>A fresh browser context (own cookies) of the given size, signed in with <paramref name="token"/> by typing it into the sign-in page.</summary>
    public async Task<(IBrowserContext Context, IPage Page, List<string> Errors)> SignIn(string token, int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height }, AcceptDownloads = true });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add($"{message.Text} (at {message.Location})"); };
        page.PageError += (_, error) => errors.Add(error);
        await page.GotoAsync($"{Url}/signin");
        await page.Locator("#token").FillAsync(token);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync($"{Url}/");
        return (context, page, errors);
    }

    /// <summary>Where screenshots go: TestResults/screenshots under the repository root (git-ignored).</summary>
    public static string ScreenshotFolder()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Alignment.sln")))
            folder = folder.Parent;
        var path = Path.Combine(folder?.FullName ?? AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(path);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Home, recursive: true); } catch (IOException) { }
    }
}
