using System.CommandLine;
using Alignment.Cli.Bench;
using Alignment.Data.Bench;

namespace Alignment.Cli.Commands.Labeling;

/// <summary>`align bench labeling --json`'s object.</summary>
/// <param name="Store">Next-item latency and judgments/s through the store on a store holding <c>--judgments</c> judgments.</param>
/// <param name="Api">Judgments/s and request latencies through the REST API on loopback.</param>
/// <param name="TargetNextItemP95Ms">The target for the store's next-item p95.</param>
/// <param name="Verdict"><c>ok</c> when the p95 meets the target, else <c>slow</c>.</param>
public sealed record LabelingBenchReport(LabelingBenchResult Store, LabelingApiBenchResult Api, double TargetNextItemP95Ms, string Verdict);

/// <summary>`align bench labeling`: the labeling store at scale (1M judgments by default) and judgments/s through the HTTP API.</summary>
public static class LabelingBenchCommand
{
    /// <summary>The target for the next-item p95 with 1,000,000 judgments in the store.</summary>
    public const double TargetNextItemP95Ms = 20;

    public static Command Create()
    {
        var judgments = new Option<int>("--judgments") { Description = "Judgments seeded into the store before timing next-item.", DefaultValueFactory = _ => 1_000_000, HelpName = "N" };
        var samples = new Option<int>("--samples") { Description = "Timed next-item calls (each followed by a submit).", DefaultValueFactory = _ => 2_000, HelpName = "N" };
        var seconds = new Option<double>("--seconds") { Description = "Seconds for each throughput phase (store threads, then API clients).", DefaultValueFactory = _ => 5, HelpName = "S" };
        var clients = new Option<int>("--clients") { Description = "Concurrent API clients (simulated annotators with their own tokens).", DefaultValueFactory = _ => 8, HelpName = "N" };
        var apiComparisons = new Option<int>("--api-comparisons") { Description = "Comparisons imported for the API phase (k = 2).", DefaultValueFactory = _ => 20_000, HelpName = "N" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (store, api, target_next_item_p95_ms, verdict) and nothing else on stdout." };
        foreach (var option in new Option[] { judgments, samples, clients, apiComparisons })
            option.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{option.Name} must be at least 1."); });
        seconds.Validators.Add(r => { if (r.GetValueOrDefault<double>() is <= 0 or > 3600) r.AddError("--seconds must be between 0 and 3600."); });

        var command = new Command("labeling",
            $"Labeling benchmark: next-item latency p50/p95/p99 on a store with --judgments judgments (target p95 < {TargetNextItemP95Ms} ms), " +
            "judgments/s through the store, and judgments/s through the REST API against an in-process server on 127.0.0.1.")
        {
            judgments, samples, seconds, clients, apiComparisons, json,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var quiet = parse.GetValue(json);
            void Say(string line) { if (!quiet) output.WriteLine(line); }
            var secondsValue = parse.GetValue(seconds);
            var store = LabelingBench.Run(new LabelingBenchOptions(
                Judgments: parse.GetValue(judgments), LatencySamples: parse.GetValue(samples), ThroughputSeconds: secondsValue,
                OpenComparisons: Math.Max(parse.GetValue(samples) * 4, 10_000)), Say);
            var api = await LabelingApiBench.RunAsync(new LabelingApiBenchOptions(parse.GetValue(apiComparisons), parse.GetValue(clients), secondsValue), Say);
            var report = new LabelingBenchReport(store, api, TargetNextItemP95Ms, store.NextItemP95Ms < TargetNextItemP95Ms ? "ok" : "slow");
            if (quiet)
            {
                output.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, CommandContext.Json));
                return ExitCodes.Ok;
            }
            output.WriteLine($"store: {store.JudgmentsInStore:N0} judgments on {store.Comparisons:N0} comparisons (seeded in {store.SeedSeconds} s)");
            output.WriteLine($"  next item  p50 {store.NextItemP50Ms} ms  p95 {store.NextItemP95Ms} ms  p99 {store.NextItemP99Ms} ms  (target p95 < {TargetNextItemP95Ms} ms: {report.Verdict})");
            output.WriteLine($"  submit     p50 {store.SubmitP50Ms} ms;  {store.JudgmentsPerSecond} judgments/s on {store.Threads} threads");
            output.WriteLine($"api:   {api.JudgmentsPerSecond} judgments/s with {api.Clients} clients over {api.Seconds} s ({api.Judgments} judgments, {api.Errors} errors)");
            output.WriteLine($"  GET next   p50 {api.NextP50Ms} ms  p95 {api.NextP95Ms} ms;  POST judgment p50 {api.SubmitP50Ms} ms  p95 {api.SubmitP95Ms} ms");
            return ExitCodes.Ok;
        });
        return command;
    }
}
