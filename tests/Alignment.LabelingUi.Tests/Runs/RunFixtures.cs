using System.Globalization;
using System.Text.Json.Nodes;
using Alignment.Models.Checkpoints;
using Alignment.Tokenizers.Training;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.LabelingUi.Tests.Runs;

/// <summary>Workflow data for the runs dashboard tests: shipped definitions, a tiny chat model, and a stage caught mid-training.</summary>
public static class RunFixtures
{
    public static string RepoFile(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alignment.sln"))) dir = dir.Parent;
        return Path.Combine([dir!.FullName, .. parts]);
    }

    /// <summary>A random tiny Llama with a BPE tokenizer trained on the shipped workflow demo's sentences (as the workflow tests use).</summary>
    public static string TinyChatModel(string folder, ulong seed = 3)
    {
        var demo = RepoFile("data", "workflow-demo");
        var corpus = File.ReadAllLines(Path.Combine(demo, "sft.jsonl")).Concat(File.ReadAllLines(Path.Combine(demo, "prompts.jsonl")));
        var bpe = BpeTrainer.Train(corpus, new BpeTrainerOptions
        {
            VocabSize = 320,
            SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
            EosToken = "<|im_end|>",
            PadToken = "<|endoftext|>",
        });
        var config = TinyModels.Config(vocab: bpe.VocabSize) with { EosTokenId = [bpe.VocabSize - 1], BosTokenId = null };
        TinyModels.CreateFolder(folder, config, seed);
        bpe.Save(folder);
        return folder;
    }

    /// <summary>
    /// An instance whose Dpo stage is running in "another process" (its lease names a foreign owner), with the stage's
    /// run folder marked as TrainerStage marks it. Returns the instance id and the run folder.
    /// </summary>
    public static (string Id, string RunDir) RunningDpoStage(WorkflowEngine engine, int totalSteps)
    {
        const string activity = """{"id": "dpo", "name": "DPO", "type": "Alignment.Dpo", "version": VERSION}""";
        int version = engine.Registry.All.Select(a => a.Descriptor).First(d => d.Type == "Alignment.Dpo").Version;
        var node = JsonNode.Parse(activity.Replace("VERSION", version.ToString()))!.AsObject();
        var definition = new JsonObject
        {
            ["definitionId"] = "tailing", ["version"] = 1, ["name"] = "Tailing",
            ["root"] = new JsonObject { ["type"] = "Elsa.Flowchart", ["activities"] = new JsonArray(node.DeepClone()), ["connections"] = new JsonArray() },
        };
        var id = engine.Repository.Create("tailing", 1, "Tailing", definition.ToJsonString(), null, engine.Home, engine.Home, new JsonObject(), false,
            new InstanceState { Queue = ["dpo"] }, "elsewhere:1:1", engine.Db.Clock.GetUtcNow().AddHours(1));
        engine.Db.Write((c, t) => engine.Repository.StartExecution(c, t, id, new ActivityNode(node, 0), 1));
        var runDir = engine.Artifacts.NewTempPath(StageRunFolders.Suffix);
        StageRunFolders.Mark(runDir, id, "dpo", 1, totalSteps);
        return (id, runDir);
    }

    /// <summary>An evaluation report artifact holding <paramref name="reportJson"/> as report.json (and report.md when given).</summary>
    public static Alignment.Workflows.Artifacts.ArtifactRecord ReportArtifact(WorkflowEngine engine, JsonObject reportJson, string? reportMarkdown = null)
    {
        var temp = engine.Artifacts.NewTempPath();
        Directory.CreateDirectory(temp);
        if (reportMarkdown is not null)
            File.WriteAllText(Path.Combine(temp, "report.md"), reportMarkdown);
        File.WriteAllText(Path.Combine(temp, "report.json"), reportJson.ToJsonString());
        return engine.Artifacts.Ingest(temp, Alignment.Workflows.Artifacts.ArtifactKind.Report,
            new Alignment.Workflows.Artifacts.ArtifactProvenance(null, null, new(), []));
    }

    /// <summary>A finished instance with one Evaluate stage whose report output is <paramref name="reportHash"/>, run by
    /// <paramref name="worker"/> (<c>host:pid:start</c>; null: not recorded).</summary>
    public static string FinishedEvaluateStage(WorkflowEngine engine, string reportHash, string? worker = null)
    {
        int version = engine.Registry.All.Select(a => a.Descriptor).First(d => d.Type == "Alignment.Evaluate").Version;
        var node = new JsonObject { ["id"] = "evaluate", ["name"] = "Evaluate", ["type"] = "Alignment.Evaluate", ["version"] = version };
        var definition = new JsonObject
        {
            ["definitionId"] = "report", ["version"] = 1, ["name"] = "Report",
            ["root"] = new JsonObject { ["type"] = "Elsa.Flowchart", ["activities"] = new JsonArray(node.DeepClone()), ["connections"] = new JsonArray() },
        };
        var id = engine.Repository.Create("report", 1, "Report", definition.ToJsonString(), null, engine.Home, engine.Home, new JsonObject(), false,
            new InstanceState(), "elsewhere:1:1", engine.Db.Clock.GetUtcNow());
        engine.Db.Write((c, t) =>
        {
            long execution = engine.Repository.StartExecution(c, t, id, new ActivityNode(node, 0), 1, worker);
            engine.Repository.FinishExecution(c, t, execution, ExecutionStatus.Completed, null, null, new JsonObject { ["report"] = reportHash, ["winRate"] = 0.75 }, 1, null, "done\n");
            engine.Repository.SetStatus(c, t, id, InstanceStatus.Finished, null, null);
        });
        return id;
    }

    /// <summary>A finished one-stage run (an Evaluate stage with a bare report) run by <paramref name="worker"/>.</summary>
    public static string FinishedRun(WorkflowEngine engine, string? worker = null) =>
        FinishedEvaluateStage(engine, ReportArtifact(engine, new JsonObject { ["win_rate"] = 0.5 }).Hash, worker);

    /// <summary>The DPO metrics line of step <paramref name="step"/> (values derived from the step, so each row is recognizable).</summary>
    public static string MetricsLine(int step) => string.Create(CultureInfo.InvariantCulture,
        $$"""{"step":{{step}},"epoch":{{step / 10.0:0.0#}},"loss":{{0.7 - step * 0.01:0.00}},"learning_rate":{{step * 1e-6:0.000000}},"rewards/chosen":{{step * 0.1:0.0}},"rewards/margins":{{step * 0.2:0.0}}}""") + "\n";
}
