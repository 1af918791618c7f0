using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Execution;

namespace Alignment.Cli.Tests;

// `align demo --human` at reduced size: the run stops at Collect judgments, the command serves the labeling app and
// prints annotator tokens; judgments posted through the REST API with those tokens let it finish on its own.
[Collection(DemoCollection.Name)]
public sealed class DemoHumanTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "align-demo-human", Guid.NewGuid().ToString("N"));

    public DemoHumanTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A writer the test can read while the command writes (every call under one lock).</summary>
    private sealed class SharedWriter : TextWriter
    {
        private readonly StringBuilder _text = new();
        public override Encoding Encoding => Encoding.UTF8;
        public override void Write(char value) { lock (_text) _text.Append(value); }
        public override void Write(string? value) { lock (_text) _text.Append(value); }
        public override string ToString() { lock (_text) return _text.ToString(); }
    }

    private string Lines(string name, IEnumerable<string> lines)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>`align demo` at reduced size on 3 prompts, 4 held-out prompts and pairs, with <paramref name="flags"/> and the extra inputs.</summary>
    private string[] DemoArgs(string home, string[] flags, params string[] inputs)
    {
        string demo = Path.Combine(DemoCommandTests.RepoRoot, "data", "demo");
        string prompts = Lines("prompts.jsonl", File.ReadLines(Path.Combine(demo, "prompts.jsonl")).Take(3));
        string evalPrompts = Lines("eval.jsonl", File.ReadLines(Path.Combine(demo, "eval-prompts.jsonl")).Take(4));
        string evalPairs = Lines("pairs.jsonl", File.ReadLines(Path.Combine(demo, "eval-preferences.jsonl")).Take(4));
        string[] common = [$"prompts={prompts}", $"evalPrompts={evalPrompts}", $"evalPreferences={evalPairs}", "samplesPerPrompt=2", "sftSteps=2", "rmSteps=1",
                           "batchSize=2", "maxNewTokens=6", "hiddenSize=32", "layers=1"];
        return ["--threads", "2", "demo", .. flags, "--home", home, "--port", "0", .. common.Concat(inputs).SelectMany(i => new[] { "--input", i })];
    }

    [Fact]
    public async Task Judgments_posted_with_the_printed_tokens_let_the_demo_finish()
    {
        string home = Path.Combine(_folder, "home");
        string[] args = DemoArgs(home, ["--human", "--annotators", "2"], "dpoSteps=1", "ppoSteps=1");
        var output = new SharedWriter();
        var error = new SharedWriter();
        var run = Task.Run(() => AlignApp.Run(args, output, error));

        // Wait for the URL and the two tokens.
        Match url = Match.Empty;
        MatchCollection tokens = Regex.Matches("", "x");
        for (var waited = TimeSpan.Zero; waited < TimeSpan.FromMinutes(5) && !run.IsCompleted; waited += TimeSpan.FromMilliseconds(200))
        {
            string text = output.ToString();
            url = Regex.Match(text, @"in the browser: (http://\S+)/ ");
            tokens = Regex.Matches(text, @"^  demo-annotator-\d+  (\S+)$", RegexOptions.Multiline);
            if (url.Success && tokens.Count == 2) break;
            await Task.Delay(200);
        }
        Assert.True(url.Success && tokens.Count == 2, $"no URL and tokens printed:\n{output}\n{error}");

        using var http = new HttpClient { BaseAddress = new Uri(url.Groups[1].Value) };
        int judged = 0;
        foreach (var token in tokens.Select(m => m.Groups[1].Value))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var projects = await http.GetFromJsonAsync<JsonElement>("/api/projects");
            long projectId = projects.EnumerateArray().Single().GetProperty("id").GetInt64();
            while (true)
            {
                var next = await http.GetAsync($"/api/projects/{projectId}/next");
                if (next.StatusCode == HttpStatusCode.NoContent) break;
                Assert.Equal(HttpStatusCode.OK, next.StatusCode);
                var item = await next.Content.ReadFromJsonAsync<JsonElement>();
                // Prefer the shorter answer, the way a person following the guidelines would.
                bool leftShorter = item.GetProperty("left").GetString()!.Length <= item.GetProperty("right").GetString()!.Length;
                var body = leftShorter ? new { choice = "left", strength = -2 } : new { choice = "right", strength = 2 };
                var stored = await http.PostAsJsonAsync($"/api/assignments/{item.GetProperty("assignment_id").GetInt64()}/judgment", body);
                Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
                judged++;
            }
        }
        // 3 prompts × 2 samples: one comparison each (fewer when two samples are the same text), overlap 1.
        Assert.InRange(judged, 1, 3);

        int code = await run.WaitAsync(TimeSpan.FromMinutes(10));
        Assert.True(code == 0, $"{output}\n{error}");
        string text2 = output.ToString();
        Assert.Contains($"{judged} of {judged} comparisons judged", text2);
        Assert.Contains("reward model held-out accuracy", text2);
        string id = Regex.Match(text2, @"instance ([0-9a-f]+)").Groups[1].Value;
        var detail = new WorkflowEngine(home, ActivityRegistry.CreateDefault()).Detail(id);
        Assert.Equal(InstanceStatus.Finished, detail.Instance.Status);
        Assert.Contains("Collect judgments: waiting: waiting for judgments: 0 of", text2);   // it did stop for people
        Assert.Contains(detail.Executions, e => e.ActivityId == "judge" && e.Status.ToCode() == "completed");
        Assert.Contains(detail.Executions, e => e.ActivityId == "evaluateDpo" && e.Status.ToCode() == "completed");
    }

    [Fact]
    public async Task Human_eval_has_people_judge_the_evaluations_blind_and_their_verdicts_make_the_win_rates()
    {
        string home = Path.Combine(_folder, "home");
        string[] args = DemoArgs(home, ["--human", "--human-eval", "--annotators", "1"], "dpoSteps=2", "dpoLearningRate=0.05", "ppoSteps=1", "ppoLearningRate=0.05");
        var output = new SharedWriter();
        var error = new SharedWriter();
        var run = Task.Run(() => AlignApp.Run(args, output, error));

        // The annotator judges whatever the app offers until the run ends: the sampled answers' comparisons, then both evaluations
        // (projects eval-*): the shorter answer wins; equal lengths tie in an evaluation (so the recount below needs no sides).
        HttpClient? http = null;
        var judgedPerProject = new Dictionary<string, int>();
        var bodies = new List<string>();
        for (var waited = TimeSpan.Zero; waited < TimeSpan.FromMinutes(10) && !run.IsCompleted; waited += TimeSpan.FromMilliseconds(200))
        {
            if (http is null)
            {
                string text = output.ToString();
                var url = Regex.Match(text, @"in the browser: (http://\S+)/ ");
                var token = Regex.Match(text, @"^  demo-annotator-1  (\S+)$", RegexOptions.Multiline);
                if (url.Success && token.Success)
                {
                    http = new HttpClient { BaseAddress = new Uri(url.Groups[1].Value) };
                    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Groups[1].Value);
                }
            }
            if (http is not null)
            {
                try
                {
                    string list = await http.GetStringAsync("/api/projects");
                    bodies.Add(list);
                    foreach (var project in JsonDocument.Parse(list).RootElement.EnumerateArray())
                    {
                        long projectId = project.GetProperty("id").GetInt64();
                        string name = project.GetProperty("name").GetString()!;
                        while (true)
                        {
                            var next = await http.GetAsync($"/api/projects/{projectId}/next");
                            if (next.StatusCode == HttpStatusCode.NoContent) break;
                            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
                            string body = await next.Content.ReadAsStringAsync();
                            bodies.Add(body);
                            var item = JsonDocument.Parse(body).RootElement;
                            int left = item.GetProperty("left").GetString()!.Length, right = item.GetProperty("right").GetString()!.Length;
                            var vote = left < right || (left == right && !name.StartsWith("eval-", StringComparison.Ordinal)) ? new { choice = "left", strength = -2 }
                                : left > right ? new { choice = "right", strength = 2 } : new { choice = "tie", strength = 0 };
                            var stored = await http.PostAsJsonAsync($"/api/assignments/{item.GetProperty("assignment_id").GetInt64()}/judgment", vote);
                            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
                            judgedPerProject[name] = judgedPerProject.GetValueOrDefault(name) + 1;
                        }
                    }
                }
                catch (HttpRequestException) { }   // the app stops as the run ends, a moment before the run's task completes
            }
            await Task.Delay(200);
        }
        int code = await run.WaitAsync(TimeSpan.FromMinutes(1));
        http?.Dispose();
        Assert.True(code == 0, $"{output}\n{error}");
        Assert.True(judgedPerProject.Where(p => p.Key.StartsWith("eval-", StringComparison.Ordinal)).Sum(p => p.Value) >= 1,
            $"no evaluation answers differed, so people judged no evaluation:\n{output}");
        foreach (string body in bodies)
        {
            Assert.DoesNotContain("policy", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("baseline", body, StringComparison.OrdinalIgnoreCase);
        }

        string id = Regex.Match(output.ToString(), @"instance ([0-9a-f]+)").Groups[1].Value;
        var engine = new WorkflowEngine(home, ActivityRegistry.CreateDefault());
        var detail = engine.Detail(id);
        Assert.Equal(InstanceStatus.Finished, detail.Instance.Status);
        foreach (string stage in new[] { "evaluateDpo", "evaluatePpo" })
        {
            var outputs = detail.Executions.Last(e => e.ActivityId == stage && e.Status.ToCode() == "completed").Outputs!;
            string reportDir = engine.Artifacts.Get((string)outputs["report"]!).Path;
            var report = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(reportDir, "report.json")))!;
            var human = report["human"]!;
            Assert.Equal("human", (string)report["judge"]!);
            Assert.Equal(4, (int)human["comparisons"]! + (int)human["same_answer"]!);
            // Every shown comparison was judged once by the one annotator; recount: the shorter answer won, equal lengths tied.
            int judged = human["project"] is { } p ? judgedPerProject.GetValueOrDefault((string)p!) : 0;
            Assert.True(human["project"] is null || ((string)human["project"]!).StartsWith("eval-", StringComparison.Ordinal));
            Assert.Equal(judged, (int)human["judgments"]!);
            var answers = File.ReadAllLines(Path.Combine(reportDir, "answers.jsonl")).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!).ToList();
            int wins = 0, ties = 0;
            foreach (var a in answers)
            {
                string pa = (string)a["policy"]!, ba = (string)a["baseline"]!;
                int pl = pa.Length == 0 ? "(empty answer)".Length : pa.Length, bl = ba.Length == 0 ? "(empty answer)".Length : ba.Length;
                if (pl < bl) wins++;
                else if (pl == bl) ties++;
            }
            Assert.Equal((wins + ties / 2.0) / answers.Count, (double)outputs["winRate"]!, 12);
            Assert.NotNull(report["task"]);   // the rule metrics are reported beside the human verdicts
        }
    }
}
