using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Alignment.Data.Annotators;
using Alignment.Data.ImportExport;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Store;
using Alignment.Data.Tests;
using Alignment.LabelingUi.Tests.Infrastructure;
using Dapper;

namespace Alignment.Cli.Tests;

// The concurrency acceptance on PostgreSQL: two real `align serve` processes on one database, 20 annotators
// labeling through the REST API the labeling page uses, half of them on each server; 500 comparisons at overlap 2.
public sealed class TwoServerConcurrencyTests : IDisposable
{
    private readonly List<string> _homes = [];

    public void Dispose()
    {
        foreach (var home in _homes)
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
    }

    [PostgresFact]
    public async Task Twenty_annotators_on_two_servers_give_every_comparison_exactly_two_judgments_from_two_people()
    {
        using var db = new PostgresTestDatabase();
        var store = AlignStore.Open(StoreLocation.Parse(db.Url));
        var project = new ProjectService(store).Create(new ProjectSettings("two-servers", OverlapK: 2, GoldRate: 0));
        using (var pairs = new MemoryStream(Encoding.UTF8.GetBytes(Pairs(500))))
            Assert.Equal(500, new ImportService(store).Import(project.Id, ImportKind.Pairs, pairs, "pairs.jsonl").ComparisonsCreated);
        var tokens = Enumerable.Range(0, 20).Select(i =>
        {
            var issued = new AnnotatorService(store).Create($"annotator-{i:00}", AnnotatorRole.Annotator);
            new ProjectMembers(store).Add(project.Id, issued.Annotator.Id);
            return issued.Token;
        }).ToList();

        using var first = await Server.Start(db.Url, NewHome());
        using var second = await Server.Start(db.Url, NewHome());
        Assert.NotEqual(first.Url, second.Url);
        var clients = tokens.Select((token, i) =>
        {
            var client = new HttpClient { BaseAddress = new Uri(i % 2 == 0 ? first.Url : second.Url) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }).ToList();

        // Judge.All asserts 200 (or 204 at the end) on every next-item and 201 on every judgment: any 5xx fails the test.
        var counts = await Task.WhenAll(clients.Select((api, i) => Task.Run(() => Judge.All(api, project.Id, _ => i % 3 == 0 ? "B" : "A"))));
        clients.ForEach(c => c.Dispose());

        Assert.Equal(1000, counts.Sum());
        Assert.True(counts[0] > 0 && counts[1] > 0, "both servers served judgments");
        using var connection = db.Open();
        var rows = connection.Query<(long ComparisonId, long AnnotatorId)>(
            "SELECT comparison_id, annotator_id FROM judgments WHERE is_active = 1").ToList();
        Assert.Equal(1000, rows.Count);
        var perComparison = rows.GroupBy(r => r.ComparisonId).ToList();
        Assert.Equal(500, perComparison.Count);
        Assert.All(perComparison, g =>
        {
            Assert.Equal(2, g.Count());
            Assert.Equal(2, g.Select(r => r.AnnotatorId).Distinct().Count());
        });
        Assert.Equal(0L, connection.ExecuteScalar<long>("SELECT COUNT(1) FROM judgments WHERE is_active = 0"));
        Assert.Equal(0L, connection.ExecuteScalar<long>("SELECT COUNT(1) FROM comparisons WHERE judged <> 2 OR remaining <> 0"));
        Assert.Equal(0L, connection.ExecuteScalar<long>("SELECT COUNT(1) FROM assignments WHERE state <> 'done'"));
        first.AssertNoServerErrors();
        second.AssertNoServerErrors();
    }

    private string NewHome()
    {
        var home = Directory.CreateTempSubdirectory("align-cli-two-servers-").FullName;
        _homes.Add(home);
        return home;
    }

    /// <summary>JSONL pairs: prompt i, answers "Answer A i" and "Answer B i" (the texts <see cref="Judge"/> reads the order from).</summary>
    private static string Pairs(int count) => string.Concat(Enumerable.Range(0, count).Select(i =>
        JsonSerializer.Serialize(new { prompt = $"Prompt {i}: what is {i} + {i}?", response_a = $"Answer A {i}: it is {2 * i}.", response_b = $"Answer B {i}: no idea." }) + "\n"));

    /// <summary>An <c>align serve --port 0 --store URL</c> process (the built align.dll), stopped on dispose.</summary>
    private sealed class Server : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _log = new();

        private Server(Process process, string url)
        {
            _process = process;
            Url = url;
        }

        public string Url { get; }

        public static async Task<Server> Start(string store, string home)
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = home,
            };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "align.dll"), "serve", "--port", "0", "--home", home, "--store", store })
                start.ArgumentList.Add(a);
            var process = Process.Start(start)!;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
                string? url = null;
                while (url is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                    if (line.StartsWith("Labeling UI: ", StringComparison.Ordinal))
                        url = line["Labeling UI: ".Length..].Split(' ')[0].TrimEnd('/');
                if (url is null)
                    Assert.Fail("align serve exited before listening: " + await process.StandardError.ReadToEndAsync());
                var server = new Server(process, url!);
                // Keep draining both streams (a full pipe would block the server) into the log.
                foreach (var stream in new[] { process.StandardOutput, process.StandardError })
                    _ = Task.Run(async () =>
                    {
                        while (await stream.ReadLineAsync() is { } line)
                            server.Append(line);
                    });
                return server;
            }
            catch
            {
                process.Kill(entireProcessTree: true);
                process.Dispose();
                throw;
            }
        }

        private void Append(string line)
        {
            lock (_log)
                _log.AppendLine(line);
        }

        /// <summary>Nothing the server logged is an unhandled exception (what a 5xx would leave).</summary>
        public void AssertNoServerErrors()
        {
            string log;
            lock (_log)
                log = _log.ToString();
            Assert.False(log.Contains("fail:", StringComparison.Ordinal) || log.Contains("Exception", StringComparison.Ordinal), log);
        }

        public void Dispose()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
        }
    }
}
