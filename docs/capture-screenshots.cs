#:package Microsoft.Playwright@1.64.1
#:property PublishAot=false
// Takes the README's screenshots from a running `align serve` with Debian's Chromium (never downloads a browser), all
// at 1440×900 (docs/retake-screenshots.sh sets up the demo home and the server and runs this):
//
//   dotnet run docs/capture-screenshots.cs -- --url http://127.0.0.1:5080 --admin-token TOKEN --annotator-token TOKEN \
//       --run INSTANCE_ID [--out docs/screenshots]
//
// It signs in through the sign-in page as a person would, then saves labeling.png (the annotator's queue),
// designer.png (the demo workflow in the designer), run.png (the run: results, stages, curves, lineage) and report.png (the DPO
// evaluation report). docs/README.md says how the shipped screenshots were made.
using Microsoft.Playwright;

string Arg(string name, string? fallback = null)
{
    int i = Array.IndexOf(args, name);
    if (i >= 0 && i + 1 < args.Length) return args[i + 1];
    return fallback ?? throw new ArgumentException($"missing {name}; usage: --url URL --admin-token T --annotator-token T --run ID [--out DIR]");
}

string url = Arg("--url").TrimEnd('/');
string outDir = Path.GetFullPath(Arg("--out", "docs/screenshots"));
string run = Arg("--run");
Directory.CreateDirectory(outDir);
string chromium = Environment.GetEnvironmentVariable("ALIGN_CHROMIUM") is { Length: > 0 } c ? c : "/usr/bin/chromium";

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = chromium,
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--no-first-run"],
});

async Task<IPage> SignIn(string token, int width, int height)
{
    var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
    var page = await context.NewPageAsync();
    await page.GotoAsync($"{url}/signin");
    await page.Locator("#token").FillAsync(token);
    await page.Keyboard.PressAsync("Enter");
    await page.WaitForURLAsync($"{url}/");
    return page;
}

async Task Shot(IPage page, string name, bool fullPage = false, int? maxHeight = null)
{
    string path = Path.Combine(outDir, name);
    var options = new PageScreenshotOptions { Path = path, FullPage = fullPage };
    if (maxHeight is int h)
    {
        var width = page.ViewportSize!.Width;
        var height = Math.Min(h, await page.EvaluateAsync<int>("document.documentElement.scrollHeight"));
        options.Clip = new Clip { X = 0, Y = 0, Width = width, Height = height };
    }
    await page.ScreenshotAsync(options);
    Console.WriteLine(path);
}

// The annotator's view: the first comparison of their queue.
var annotator = await SignIn(Arg("--annotator-token"), 1440, 900);
await annotator.Locator("a[href^='/label/']").First.ClickAsync();
await annotator.WaitForSelectorAsync("[data-item-id], .item-panel, form");
await annotator.WaitForTimeoutAsync(500);
await Shot(annotator, "labeling.png");

var admin = await SignIn(Arg("--admin-token"), 1440, 900);

// The designer, on the demo workflow (imported from workflows/ on the list page when it is not stored yet).
await admin.GotoAsync($"{url}/workflows");
var demoLink = admin.Locator("a[href*='/workflows/demo-rlhf/design']");
if (await demoLink.CountAsync() == 0)
{
    var importShipped = admin.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("shipped", System.Text.RegularExpressions.RegexOptions.IgnoreCase) });
    if (await importShipped.CountAsync() > 0) await importShipped.First.ClickAsync();
    await admin.WaitForSelectorAsync("a[href*='/workflows/demo-rlhf/design']");
}
await admin.Locator("a[href*='/workflows/demo-rlhf/design']").First.ClickAsync();
await admin.WaitForSelectorAsync("[data-designer][data-ready=true]");
await admin.WaitForTimeoutAsync(800);
await Shot(admin, "designer.png");

// The run: headline results, stages, curves (drawn by Chart.js after their first poll), lineage.
await admin.GotoAsync($"{url}/runs/{run}");
await admin.WaitForSelectorAsync("canvas");
await admin.WaitForTimeoutAsync(2500);
await Shot(admin, "run.png", fullPage: true, maxHeight: 4000);

// The DPO evaluation's report (its link in the run page's results).
await admin.Locator("[data-headline-report='evaluateDpo'] a[href*='/reports/']").ClickAsync();
await admin.WaitForSelectorAsync("img[src*='charts']");
await admin.WaitForTimeoutAsync(1500);
await Shot(admin, "report.png", fullPage: true, maxHeight: 3000);
