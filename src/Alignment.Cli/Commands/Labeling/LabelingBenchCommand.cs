using System.CommandLine;
using Alignment.Cli.Bench;
using Alignment.Data.Bench;
using Alignment.Data.Store;

namespace Alignment.Cli.Commands.Labeling;

/// <summary>`align bench labeling --json`'s object.</summary>
/// <param name="Store">Next-item latency and judgments/s through the store on a SQLite store holding <c>--judgments</c> judgments.</param>
/// <param name="Postgresql">The same measurement on the PostgreSQL database of <c>--store</c> (null without it).</param>
/// <param name="Api">Judgments/s and request latencies through the REST API on loopback.</param>
/// <param name="TargetNextItemP95Ms">The target for the store's next-item p95.</param>
/// <param name="Verdict"><c>ok</c> when every measured store's p95 meets the target, else <c>slow</c>.</param>
public sealed record LabelingBenchReport(LabelingBenchResult Store, LabelingBenchResult? Postgresql, LabelingApiBenchResult Api, double TargetNextItemP95Ms, string Verdict);

/// <summary>`align bench labeling`: the labeling store at scale (1M judgments by default) and judgments/s through the HTTP API.</summary>
public static class LabelingBenchCommand
{
    /// <summary>The issue's target for the next-item p95 with 1,000,000 judgments in the store.</summary>
    public const double TargetNextItemP95Ms = 20;

    public static Command Create()
    {
        var judgments = new Option<int>("--judgments") { Description = "Judgments seeded into the store before timing next-item.", DefaultValueFactory = _ => 1_000_000, HelpName = "N" };
        var samples = new Option<int>("--samples") { Description = "Timed next-item calls (each followed by a submit).", DefaultValueFactory = _ => 2_000, HelpName = "N" };
        var seconds = new Option<double>("--seconds") { Description = "Seconds for each throughput phase (store threads, then API clients).", DefaultValueFactory = _ => 5, HelpName = "S" };
        var clients = new Option<int>("--clients") { Description = "Concurrent API clients (simulated annotators with their own tokens).", DefaultValueFactory = _ => 8, HelpName = "N" };
        var apiComparisons = new Option<int>("--api-comparisons") { Description = "Comparisons imported for the API phase (k = 2).", DefaultValueFactory = _ => 20_000, HelpName = "N" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (store, postgresql, api, target_next_item_p95_ms, verdict) and nothing else on stdout." };
        var postgreSql = new Option<string?>("--store")
        {
            Description = "Also measure the store on this PostgreSQL database (postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE), " +
                          "in a new schema dropped afterwards; the user needs CREATE on the database.",
            HelpName = "URL",
        };
        foreach (var option in new Option[] { judgments, samples, clients, apiComparisons })
            option.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{option.Name} must be at least 1."); });
        seconds.Validators.Add(r => { if (r.GetValueOrDefault<double>() is <= 0 or > 3600) r.AddError("--seconds must be between 0 and 3600."); });

        var command = new Command("labeling",
            $"Labeling benchmark: next-item latency p50/p95/p99 on a store with --judgments judgments (target p95 < {TargetNextItemP95Ms} ms), " +
            "judgments/s through the store, and judgments/s through the REST API against an in-process server on 127.0.0.1.")
        {
            judgments, samples, seconds, clients, apiComparisons, postgreSql, json,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var quiet = parse.GetValue(json);
            void Say(string line) { if (!quiet) output.WriteLine(line); }
            var secondsValue = parse.GetValue(seconds);
            StoreLocation? server = null;
            try
            {
                if (parse.GetValue(postgreSql) is { } url)
                {
                    server = StoreLocation.Parse(url);
                    if (server.Provider != StoreProvider.PostgreSql)
                        throw new StoreLocationException(server.Display,
                            "is not a PostgreSQL database: --store here takes a postgresql:// URL (SQLite is always measured, on a temporary file)");
                }
            }
            catch (StoreLocationException e)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: --store: {e.Message}");
                return ExitCodes.Failure;
            }
            var options = new LabelingBenchOptions(
                Judgments: parse.GetValue(judgments), LatencySamples: parse.GetValue(samples), ThroughputSeconds: secondsValue,
                OpenComparisons: Math.Max(parse.GetValue(samples) * 4, 10_000));
            var store = LabelingBench.Run(options, Say);
            LabelingBenchResult? postgres = null;
            if (server is not null)
            {
                try
                {
                    postgres = LabelingBench.Run(options with { PostgreSql = server }, line => Say("postgresql: " + line));
                }
                catch (Exception e) when (e is StoreLocationException or SchemaTooNewException)
                {
                    parse.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                    return ExitCodes.Failure;
                }
            }
            var api = await LabelingApiBench.RunAsync(new LabelingApiBenchOptions(parse.GetValue(apiComparisons), parse.GetValue(clients), secondsValue), Say);
            var met = store.NextItemP95Ms < TargetNextItemP95Ms && (postgres is null || postgres.NextItemP95Ms < TargetNextItemP95Ms);
            var report = new LabelingBenchReport(store, postgres, api, TargetNextItemP95Ms, met ? "ok" : "slow");
            if (quiet)
            {
                output.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, CommandContext.Json));
                return ExitCodes.Ok;
            }
            foreach (var measured in new[] { store, postgres }.OfType<LabelingBenchResult>())
            {
                output.WriteLine($"store ({measured.Provider}): {measured.JudgmentsInStore:N0} judgments on {measured.Comparisons:N0} comparisons (seeded in {measured.SeedSeconds} s)");
                output.WriteLine($"  next item  p50 {measured.NextItemP50Ms} ms  p95 {measured.NextItemP95Ms} ms  p99 {measured.NextItemP99Ms} ms  " +
                                 $"(target p95 < {TargetNextItemP95Ms} ms: {(measured.NextItemP95Ms < TargetNextItemP95Ms ? "ok" : "slow")})");
                output.WriteLine($"  submit     p50 {measured.SubmitP50Ms} ms;  {measured.JudgmentsPerSecond} judgments/s on {measured.Threads} threads");
            }
            output.WriteLine($"api:   {api.JudgmentsPerSecond} judgments/s with {api.Clients} clients over {api.Seconds} s ({api.Judgments} judgments, {api.Errors} errors)");
            output.WriteLine($"  GET next   p50 {api.NextP50Ms} ms  p95 {api.NextP95Ms} ms;  POST judgment p50 {api.SubmitP50Ms} ms  p95 {api.SubmitP95Ms} ms");
            return ExitCodes.Ok;
        });
        return command;
    }
}
