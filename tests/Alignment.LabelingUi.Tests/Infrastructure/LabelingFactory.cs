using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Alignment.Data.Annotators;
using Alignment.Data.ImportExport;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Store;
using Alignment.LabelingUi.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Alignment.LabelingUi.Tests.Infrastructure;

/// <summary>
/// The labeling app in memory (WebApplicationFactory over <c>Program</c>) on its own temporary home folder, so every test
/// has a fresh database file; the folder is deleted on dispose. Optionally with a manual clock.
/// </summary>
public sealed class LabelingFactory : WebApplicationFactory<Program>
{
    public LabelingFactory(ManualClock? clock = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        Home = Path.Combine(Path.GetTempPath(), "align-ui-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Home);
        Clock = clock;
        _settings = settings ?? new Dictionary<string, string>();
    }

    private readonly IReadOnlyDictionary<string, string> _settings;

    public string Home { get; }
    public ManualClock? Clock { get; }
    public string DatabasePath => Path.Combine(Home, "align.db");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting(LabelingSettings.HomeKey, Home);
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        if (Clock is not null)
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    public AlignStore Store => Service<AlignStore>();

    /// <summary>
    /// Creates an account and returns its token; with <paramref name="member"/> it becomes a member of every project that
    /// exists now (and <see cref="Project"/> adds every existing account to a new project), so tests label as members
    /// unless they test membership.
    /// </summary>
    public string Token(string name, AnnotatorRole role = AnnotatorRole.Annotator, bool member = true)
    {
        var issued = Service<AnnotatorService>().Create(name, role);
        if (member)
        {
            foreach (var project in Service<ProjectService>().List())
                Service<ProjectMembers>().Add(project.Id, issued.Annotator.Id);
        }
        return issued.Token;
    }

    /// <summary>A client that sends the bearer token (no cookies).</summary>
    public HttpClient Api(string? token)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>
    /// Creates a project and imports <paramref name="pairs"/> comparisons whose models are <c>model-alpha</c> and <c>model-beta</c>;
    /// with <paramref name="members"/> every existing account becomes a member.
    /// </summary>
    public Project Project(string name = "demo", int overlap = 1, int pairs = 5, double goldRate = 0, int leaseMinutes = 30, string guidelines = "Prefer **correct** answers.",
        bool members = true)
    {
        var project = Service<ProjectService>().Create(new ProjectSettings(name, guidelines, overlap, GoldRate: goldRate, LeaseMinutes: leaseMinutes));
        if (members)
        {
            foreach (var annotator in Service<AnnotatorService>().List())
                Service<ProjectMembers>().Add(project.Id, annotator.Id);
        }
        if (pairs > 0)
            Import(project.Id, PairsJsonl(pairs), "pairs.jsonl");
        return project;
    }

    public ImportResult Import(long projectId, string content, string fileName, ImportKind kind = ImportKind.Pairs)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(content));
        return Service<ImportService>().Import(projectId, kind, stream, fileName);
    }

    /// <summary>JSONL pairs: prompt i, answers "Answer A i" (model-alpha) and "Answer B i" (model-beta).</summary>
    public static string PairsJsonl(int count, string modelA = ModelA, string modelB = ModelB) => string.Concat(Enumerable.Range(0, count).Select(i =>
        JsonSerializer.Serialize(new { prompt = $"Prompt {i}: what is {i} + {i}?", response_a = $"Answer A {i}: it is {2 * i}.", response_b = $"Answer B {i}: no idea.", model_a = modelA, model_b = modelB }) + "\n"));

    public const string ModelA = "model-alpha-secret";
    public const string ModelB = "model-beta-secret";

    /// <summary>A scalar from the test's database (for checking what was, and was not, written).</summary>
    public long Count(string sql, object? parameters = null) =>
        Store.Read(connection => Dapper.SqlMapper.ExecuteScalar<long>(connection, sql, parameters));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(Home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
