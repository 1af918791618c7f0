using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Alignment.Data.Annotators;
using Alignment.Data.ImportExport;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Statistics;
using Alignment.LabelingUi.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Alignment.Cli.Bench;

/// <summary>Options of the HTTP part of `align bench labeling`.</summary>
/// <param name="Comparisons">Comparisons imported for the clients to judge (k = 2, so up to twice as many judgments).</param>
/// <param name="Clients">Concurrent simulated annotators, each with its own token and connection.</param>
/// <param name="Seconds">How long the clients run.</param>
public sealed record LabelingApiBenchOptions(int Comparisons = 20_000, int Clients = 8, double Seconds = 5);

/// <summary>What the HTTP part measured (milliseconds per request, judgments per second over all clients).</summary>
public sealed record LabelingApiBenchResult(
    int Clients, double Seconds, long Judgments, double JudgmentsPerSecond,
    double NextP50Ms, double NextP95Ms, double SubmitP50Ms, double SubmitP95Ms, long Errors);

/// <summary>
/// Judgments per second through the REST API: starts the labeling app in-process on 127.0.0.1 (a free port, a temporary
/// home), imports comparisons, and runs N client loops of GET next → POST judgment over real HTTP connections for a fixed
/// time. Nothing leaves the loopback interface; everything is deleted afterwards.
/// </summary>
public static class LabelingApiBench
{
    public static async Task<LabelingApiBenchResult> RunAsync(LabelingApiBenchOptions options, Action<string>? progress = null)
    {
        var home = Directory.CreateTempSubdirectory("align-api-bench-").FullName;
        try
        {
            await using var app = LabelingApp.Create(new LabelingAppOptions { Home = home, Port = 0, Quiet = true });
            var projectId = Seed(app, options.Comparisons, out var tokens, options.Clients);
            progress?.Invoke($"imported {options.Comparisons:N0} comparisons for {options.Clients} API clients");
            await app.StartAsync();
            var baseUrl = new Uri(app.ListeningUrl());

            var next = new List<double>[options.Clients];
            var submit = new List<double>[options.Clients];
            long judgments = 0, errors = 0;
            var deadline = Stopwatch.GetTimestamp() + (long)(options.Seconds * Stopwatch.Frequency);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(async c =>
            {
                next[c] = [];
                submit[c] = [];
                using var http = new HttpClient { BaseAddress = baseUrl };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens[c]);
                var n = 0;
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    var start = Stopwatch.GetTimestamp();
                    using var item = await http.GetAsync($"/api/projects/{projectId}/next");
                    next[c].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if (item.StatusCode == HttpStatusCode.NoContent)
                        break;
                    if (!item.IsSuccessStatusCode) { Interlocked.Increment(ref errors); continue; }
                    using var body = JsonDocument.Parse(await item.Content.ReadAsStringAsync());
                    var assignment = body.RootElement.GetProperty("assignment_id").GetInt64();
                    var choice = (n++ % 4) switch { 0 => ("left", -2), 1 => ("right", 1), 2 => ("tie", 0), _ => ("right", 3) };
                    start = Stopwatch.GetTimestamp();
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/assignments/{assignment}/judgment")
                    {
                        Content = JsonContent.Create(new { choice = choice.Item1, strength = choice.Item2, time_ms = 1200 }),
                    };
                    request.Headers.Add("Idempotency-Key", $"bench-{c}-{n}");
                    using var stored = await http.SendAsync(request);
                    submit[c].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if (stored.IsSuccessStatusCode) Interlocked.Increment(ref judgments);
                    else Interlocked.Increment(ref errors);
                }
            }));
            var seconds = clock.Elapsed.TotalSeconds;
            await app.StopAsync();
            var nextAll = next.SelectMany(l => l).Order().ToList();
            var submitAll = submit.SelectMany(l => l).Order().ToList();
            return new LabelingApiBenchResult(options.Clients, Math.Round(seconds, 2), judgments, Math.Round(judgments / seconds, 1),
                Q(nextAll, 0.50), Q(nextAll, 0.95), Q(submitAll, 0.50), Q(submitAll, 0.95), errors);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
    }

    private static double Q(List<double> sorted, double q) => sorted.Count == 0 ? double.NaN : Math.Round(Bootstrap.Quantile(sorted, q), 3);

    private static long Seed(WebApplication app, int comparisons, out string[] tokens, int clients)
    {
        var project = app.Services.GetRequiredService<ProjectService>().Create(new ProjectSettings("api-bench", OverlapK: 2, GoldRate: 0));
        var annotators = app.Services.GetRequiredService<AnnotatorService>();
        var members = app.Services.GetRequiredService<ProjectMembers>();
        tokens = Enumerable.Range(0, clients).Select(i =>
        {
            var issued = annotators.Create($"client-{i}", AnnotatorRole.Annotator);
            members.Add(project.Id, issued.Annotator.Id);
            return issued.Token;
        }).ToArray();
        var jsonl = new StringBuilder();
        for (var i = 0; i < comparisons; i++)
            jsonl.Append(JsonSerializer.Serialize(new { prompt = $"Question {i}: explain item {i}.", response_a = $"Answer A to {i}.", response_b = $"Answer B to {i}.", model_a = "model-a", model_b = "model-b" })).Append('\n');
        using var content = new MemoryStream(Encoding.UTF8.GetBytes(jsonl.ToString()));
        app.Services.GetRequiredService<ImportService>().Import(project.Id, ImportKind.Pairs, content, "bench-pairs.jsonl");
        return project.Id;
    }
}
