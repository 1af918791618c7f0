using System.Text.Json;
using System.Text.Json.Serialization;
using Alignment.Data;
using Alignment.Data.Store;
using Alignment.LabelingUi.Auth;
using Alignment.LabelingUi.Components;
using Alignment.LabelingUi.Components.Layout;
using Alignment.LabelingUi.Features.Account;
using Alignment.LabelingUi.Features.Annotators;
using Alignment.LabelingUi.Features.Labeling;
using Alignment.LabelingUi.Features.Projects;
using Alignment.LabelingUi.Features.Reports;
using Alignment.LabelingUi.Features.Workflows;
using Alignment.LabelingUi.Features.Runs;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace Alignment.LabelingUi.Hosting;

/// <summary>
/// Builds the labeling web app: Razor components with interactive server rendering and MudBlazor (a few pages static, with htmx),
/// cookie sign-in for pages, bearer tokens for the REST API under <c>/api</c>, over the store in the home folder.
/// The <c>align serve</c> command and the tests host it through <see cref="Create(LabelingAppOptions)"/>.
/// </summary>
public static class LabelingApp
{
    /// <summary>Builds the app for <paramref name="home"/> (null: <c>$ALIGN_HOME</c> or <c>./.align</c>) on <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static WebApplication Create(string? home, int port, string host = "127.0.0.1", bool quiet = false) =>
        Create(new LabelingAppOptions { Home = home, Port = port, Host = host, Quiet = quiet });

    /// <summary>Builds (does not start) the app. The store is opened, and its migrations applied, before this returns.</summary>
    public static WebApplication Create(LabelingAppOptions options)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = options.Args,
            ApplicationName = typeof(LabelingApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(
            new[] { (LabelingSettings.HomeKey, options.Home), (LabelingSettings.StoreKey, options.Store) }
                .Where(setting => setting.Item2 is not null)
                .Select(setting => new KeyValuePair<string, string?>(setting.Item1, setting.Item2)));
        builder.WebHost.UseUrls(ListenUrl(options.Host, options.Port));
        ConfigureLogging(builder.Logging, options.Quiet);
        AddServices(builder.Services, options.Clock);

        var app = builder.Build();
        // Open the store now: a database from a newer build, or an unwritable home, fails here with its message.
        app.Services.GetRequiredService<AlignStore>();
        app.Services.GetRequiredService<AccessSettings>();
        UsePipeline(app, options);
        return app;
    }

    /// <summary>The first address the started app listens on, e.g. <c>http://127.0.0.1:5080</c> (the real port when 0 was asked).</summary>
    public static string ListeningUrl(this WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
        ?? throw new InvalidOperationException("The app is not listening yet; call StartAsync first.");

    internal static string ListenUrl(string host, int port)
    {
        var address = host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
        return $"http://{address}:{port}";
    }

    private static void ConfigureLogging(ILoggingBuilder logging, bool quiet)
    {
        // Requests are not logged line by line (tokens never travel in URLs, but prompts may); startup and errors are.
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        if (quiet)
            logging.SetMinimumLevel(LogLevel.Warning);
    }

    internal static readonly JsonSerializerOptions Json = ConfigureJson(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    private static JsonSerializerOptions ConfigureJson(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        json.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        return json;
    }

    private static void AddServices(IServiceCollection services, TimeProvider? clock)
    {
        services.AddSingleton(sp => new LabelingSettings(
            AlignHome.Resolve(sp.GetRequiredService<IConfiguration>()[LabelingSettings.HomeKey])));
        services.AddSingleton(sp => AccessSettings.From(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => AlignStore.OpenHome(sp.GetRequiredService<LabelingSettings>().Home,
            clock ?? sp.GetService<TimeProvider>() ?? TimeProvider.System, sp.GetRequiredService<IConfiguration>()[LabelingSettings.StoreKey]));
        StoreServices.Add(services);
        WorkflowServices.Add(services);  // the registry and engine the runs dashboard and the designer share
        RunsServices.Add(services);
        DesignerServices.Add(services);

        // Cookie and antiforgery keys live in the store, so sign-ins survive a restart of `align serve` and every server
        // on one store accepts the others' cookies.
        services.AddDataProtection().SetApplicationName("Alignment.LabelingUi");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
            o.XmlRepository = new StoreKeyRepository(sp.GetRequiredService<AlignStore>(), sp.GetRequiredService<LabelingSettings>().KeysFolder)));

        services.AddLabelingAuth();
        services.AddAuthRateLimits();
        services.AddAntiforgery(o =>
        {
            o.HeaderName = AntiforgeryFilter.HeaderName;
            o.Cookie.Name = "align.af";
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.Configure<JsonOptions>(o => ConfigureJson(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddExceptionHandler<LabelingExceptionHandler>();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddCascadingAuthenticationState();
        services.AddHttpContextAccessor();
    }

    private static void UsePipeline(WebApplication app, LabelingAppOptions options)
    {
        if (options.BehindProxy)
            app.UseForwardedHeaders(ProxyHeaders.Options(options.Proxies));
        app.UseExceptionHandler();
        // Empty API error responses (404 of an unknown route, 405, 415) get a ProblemDetails body. Pages are left alone:
        // a page that sets 404 itself renders its own "not found" content.
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/api"), api => api.UseStatusCodePages());
        app.Use(SecurityHeaders);
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new EmbeddedWebRoot(typeof(LabelingApp).Assembly),
            OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "no-cache",
        });
        app.UseAuthentication();
        app.UseAuthRateLimits();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapAccount();
        app.MapLabeling();
        app.MapProjects();
        app.MapMembers();
        app.MapAnnotators();
        app.MapReports();
        app.MapWorkflows();
        app.MapRuns();
        app.MapTheme();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
    }

    private static Task SecurityHeaders(HttpContext context, Func<Task> next)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        // Scripts only from this origin (the libraries are served from wwwroot/lib): no inline script, no CDN.
        headers.ContentSecurityPolicy =
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
            "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
        return next();
    }
}
