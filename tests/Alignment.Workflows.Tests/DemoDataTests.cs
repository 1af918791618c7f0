using System.Diagnostics;
using System.Text.Json.Nodes;
using Alignment.Workflows.Judging;
using Alignment.Workflows.Validation;

namespace Alignment.Workflows.Tests;

// data/demo is made by data/demo/generate.py; the committed files must be exactly what it writes, and have the
// properties the demo relies on.
public sealed class DemoDataTests : IDisposable
{
    private static readonly string DemoData = Path.Combine(TestHome.RepoRoot, "data", "demo");
    private static readonly string[] Generated =
        ["sft.jsonl", "prompts.jsonl", "rl-prompts.jsonl", "eval-prompts.jsonl", "eval-preferences.jsonl", "eval-references.jsonl", "references.jsonl", "judge-rules.json"];

    private readonly string _out = Path.Combine(Path.GetTempPath(), "align-demo-data", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [PythonFact]
    public void The_generator_reproduces_the_committed_files_byte_for_byte()
    {
        string python = PythonFactAttribute.Python3 ?? throw new InvalidOperationException("python3 is not on PATH; CI needs it to check data/demo (bash .ci/setup installs it)");
        var start = new ProcessStartInfo(python) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(DemoData, "generate.py"));
        start.ArgumentList.Add("--out");
        start.ArgumentList.Add(_out);
        using var process = Process.Start(start)!;
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr);
        foreach (string name in Generated)
            Assert.True(File.ReadAllBytes(Path.Combine(DemoData, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_out, name))),
                $"data/demo/{name} differs from what generate.py writes: run `python3 data/demo/generate.py --out data/demo` and commit");
        Assert.Equal(Generated.Order(), Directory.GetFiles(_out).Select(Path.GetFileName).Order()!);
    }

    private static List<JsonObject> Rows(string name) =>
        File.ReadLines(Path.Combine(DemoData, name)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    [Fact]
    public void The_chatty_style_is_the_plurality_of_the_sft_answers_and_held_out_prompts_are_unseen()
    {
        var sft = Rows("sft.jsonl");
        var answers = sft.Select(r => (string)r["messages"]![1]!["content"]!).ToList();
        var prompts = sft.Select(r => (string)r["messages"]![0]!["content"]!).ToHashSet();
        int chatty = answers.Count(a => a.Contains("Hope this helps!", StringComparison.Ordinal));
        int house = answers.Count(a => System.Text.RegularExpressions.Regex.IsMatch(a, @"^The answer is \d+\.$"));
        Assert.Equal(answers.Count, chatty + house);
        Assert.True(chatty > 0.55 * answers.Count && house > 0.3 * answers.Count, $"{chatty} chatty, {house} house of {answers.Count}");

        var heldOut = Rows("eval-prompts.jsonl").Select(r => (string)r["prompt"]!).ToList();
        Assert.Equal(200, heldOut.Distinct().Count());
        Assert.DoesNotContain(heldOut, prompts.Contains);   // held-out prompts are not SFT prompts
        Assert.All(Rows("prompts.jsonl"), r => Assert.Contains((string)r["prompt"]!, prompts));
        var rl = Rows("rl-prompts.jsonl").Select(r => (string)r["prompt"]!).ToList();   // GRPO's prompts: every SFT prompt once
        Assert.Equal(prompts.Order(), rl.Order());
        Assert.Equal(heldOut, Rows("eval-preferences.jsonl").Select(r => (string)r["prompt"]!));
    }

    [Fact]
    public void The_judge_rules_prefer_every_held_out_chosen_answer_and_know_every_prompt()
    {
        var judge = RuleJudge.Load(Path.Combine(DemoData, "judge-rules.json"));
        foreach (var pair in Rows("eval-preferences.jsonl"))
        {
            string prompt = (string)pair["prompt"]!;
            Assert.True(judge.ScoreOf(prompt, (string)pair["chosen"]!) > judge.ScoreOf(prompt, (string)pair["rejected"]!), pair.ToJsonString());
        }
        foreach (var row in Rows("sft.jsonl"))
            judge.ScoreOf((string)row["messages"]![0]!["content"]!, "x");   // throws for a prompt without a reference
    }

    [Fact]
    public void The_demo_workflow_validates_and_is_laid_out_in_bands_that_fit_a_laptop_screen()
    {
        var definition = Definitions.DefinitionSerializer.Load(Path.Combine(TestHome.RepoRoot, "workflows", "demo-rlhf.json"));
        Assert.Empty(new WorkflowValidator(TestHome.Registry()).Validate(definition));
        var at = definition.Activities.ToDictionary(a => a.Id!, a => a.Json["metadata"]!["designer"]!["position"]!);
        double X(string id) => (double)at[id]["x"]!;
        double Y(string id) => (double)at[id]["y"]!;
        // Each connection goes right within a band of layers, or down to the start of the next band.
        foreach (var c in definition.Connections)
            Assert.True(X(c.SourceActivity!) < X(c.TargetActivity!) || Y(c.SourceActivity!) < Y(c.TargetActivity!), $"{c.SourceActivity} -> {c.TargetActivity} points back");
        // 220×64 nodes: the whole graph within 800×800, so the designer's canvas at 1440×900 (about 840×790) shows it at
        // 0.93 zoom or more, its 13 px labels at 12 px or more.
        Assert.True(at.Keys.Max(id => X(id)) + 220 <= 800 && at.Keys.Max(id => Y(id)) + 64 <= 800, "the demo's layout is larger than 800×800");
        Assert.Contains(definition.Activities, a => a.Type == "Alignment.TrainTokenizer");
        Assert.Contains(definition.Activities, a => a.Type == "Alignment.CreateModel");
    }
}
