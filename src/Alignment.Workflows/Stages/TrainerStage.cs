using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Training.Checkpoints;
using Alignment.Training.Config;
using Alignment.Training.Distributed;
using Alignment.Training.Metrics;
using Alignment.Training.Runtime;
using Alignment.Training.Trainers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// What the training stages (Sft, TrainRewardModel, Dpo, Kto, Ppo, BestOfN) share: the inputs every trainer exposes,
/// binding activity inputs and the <c>extra</c> object onto the trainer's options type (by its config keys, with the
/// trainer's own checks and messages), a run folder inside the stage, progress and cancellation, and storing the
/// final model or adapter and the metrics as artifacts.
/// </summary>
internal static class TrainerStage
{
    /// <summary>Metric keys measured in wall-clock time: left out of the stored metrics so a rerun reproduces the artifact.</summary>
    private static readonly string[] TimingKeys = ["tokens_per_second", "samples_per_second"];

    /// <summary>Files of a run folder that are not part of the trained model.</summary>
    private static readonly string[] RunFiles = [RunSession.MetricsFile, "ref_logps.safetensors", "ref_logps_eval.safetensors", UpftTrainer.SamplesFile];

    /// <summary>
    /// The option inputs of a trainer stage, derived from <typeparamref name="T"/> (<see cref="OptionInputs"/>), then
    /// <see cref="NprocInput"/> when the trainer runs data-parallel, then <see cref="ExtraInput"/> for every other option.
    /// </summary>
    public static IEnumerable<InputDescriptor> Inputs<T>(bool dataParallel = false) where T : new()
    {
        foreach (var entry in OptionInputs.Of<T>()) yield return entry.Input;
        if (dataParallel) yield return NprocInput;
        yield return ExtraInput;
    }

    /// <summary>The <c>nproc</c> input of a data-parallel trainer stage.</summary>
    public static InputDescriptor NprocInput { get; } = new("nproc", InputType.Integer,
        "Data-parallel worker processes (align train --nproc): each trains on its shard of every batch, so the global batch is " +
        "batchSize × nproc; the threads are split between them. 1 = train in the workflow's own process.", Default: 1, Minimum: 1);

    /// <summary>The <c>extra</c> input: any other trainer option by its config key.</summary>
    public static InputDescriptor ExtraInput { get; } = new("extra", InputType.String,
        "Other trainer options as a JSON object of config keys, e.g. {\"lora_alpha\": 32, \"warmup_ratio\": 0.1} (`align train STAGE --help` lists them).",
        Default: "{}");

    /// <summary>Keys the stage sets itself from its artifacts and run folder.</summary>
    private static readonly HashSet<string> StageKeys = new(StringComparer.Ordinal)
    {
        "model", "data", "reward_model", "reward_funcs", "ref_model", "eval_data", "resume_from", "save_steps", "save_fraction", "save_total_limit",
    };

    /// <summary>
    /// Binds the options of a trainer: defaults, then the stage's <paramref name="fixedValues"/> (paths), the option
    /// inputs of <typeparamref name="T"/> (<see cref="OptionInputs"/>), then <c>extra</c>. Bad values fail with the
    /// trainer's message, naming the input and the option.
    /// </summary>
    public static T Bind<T>(StageContext context, IReadOnlyDictionary<string, object?> fixedValues)
        where T : new()
    {
        var inputs = context.Inputs;
        var settings = new List<(string key, JsonNode? value, string source)>();
        foreach (var (key, value) in fixedValues) settings.Add((key, ValueConversion.ToJson(value), "stage"));
        var inputKeys = OptionInputs.Of<T>().Select(e => KeyValuePair.Create(e.Key, e.Input.Name)).ToList();
        foreach (var (key, input) in inputKeys)
        {
            if (context.Descriptor.FindInput(input) is null || !inputs.Has(input)) continue;
            object value = inputs.Values[input]!;
            if (key == "template" && value is "auto" or "") continue;
            settings.Add((key, ValueConversion.ToJson(value), $"input '{input}'"));
        }
        foreach (var (key, value) in Extra(inputs.OptionalString("extra") ?? "{}"))
        {
            if (StageKeys.Contains(key))
                throw new WorkflowException($"input 'extra': option '{key}' is set by the stage from its inputs and run folder; leave it out");
            var named = inputKeys.FirstOrDefault(k => k.Key == key).Value;
            if (named is not null) throw new WorkflowException($"input 'extra': option '{key}' has its own input '{named}'; set that instead");
            settings.Add((key, value, $"input 'extra'"));
        }

        var overrides = settings.Select(s => $"{s.key}={s.value?.ToJsonString() ?? "null"}").ToList();
        for (int i = 0; i < settings.Count; i++)
        {
            try { OptionsBinder.Bind<T>(null, [overrides[i]]); }
            catch (ConfigException e)
            {
                throw new WorkflowException($"{settings[i].source}: {e.Message.Replace($"--set {settings[i].key}: ", "", StringComparison.Ordinal)}");
            }
        }
        var options = OptionsBinder.Bind<T>(null, overrides);
        return options;
    }

    private static IEnumerable<KeyValuePair<string, JsonNode?>> Extra(string text)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(string.IsNullOrWhiteSpace(text) ? "{}" : text); }
        catch (JsonException e) { throw new WorkflowException($"input 'extra': not valid JSON ({e.Message})"); }
        if (node is not JsonObject obj) throw new WorkflowException("input 'extra' must be a JSON object of trainer option keys, e.g. {\"warmup_ratio\": 0.1}");
        return obj.ToList();
    }

    /// <summary>
    /// Runs <paramref name="train"/> into a run folder inside the artifact store's temp area (removed afterwards),
    /// reporting progress and stopping at the next step when the stage is cancelled; checks and configuration errors of
    /// the trainer fault the stage with the trainer's message. With <paramref name="options"/> (a checkpointing
    /// trainer), a run folder that a killed process left for this run of the activity is taken over and training
    /// continues from its newest checkpoint when the trainer would accept it (same stage, math options and data);
    /// otherwise that folder is removed and training starts at step 0.
    /// </summary>
    public static TResult Run<TResult>(StageContext context, string stage, CommonOptions? options, Func<string, ITrainingProgress, TResult> train,
                                       Action<string, TResult> store, int worldSize = 1)
    {
        context.Cancellation.ThrowIfCancellationRequested();
        string runDir = context.Artifacts.NewTempPath(Execution.StageRunFolders.Suffix);
        try
        {
            if (options is not null) TakeOverInterrupted(context, stage, options, runDir, worldSize);
            // The marker lets a dashboard find this folder's metrics.jsonl while the stage trains.
            Execution.StageRunFolders.Mark(runDir, context.InstanceId, context.ActivityId, context.Iteration);
            TResult result;
            try
            {
                result = train(runDir, new StageProgress(context, stage, runDir));
            }
            catch (Exception e) when (e is ConfigException or Training.TrainingException or Training.Datasets.DatasetException or Tokenizers.TokenizerException)
            {
                throw new WorkflowException($"{stage}: {e.Message}");
            }
            context.Cancellation.ThrowIfCancellationRequested();
            store(runDir, result);
            return result;
        }
        finally
        {
            ArtifactStore.Delete(runDir);
        }
    }

    /// <summary>
    /// Moves the run folder an interrupted attempt of this activity run left behind to <paramref name="runDir"/> and
    /// points resume_from at its newest checkpoint, when the trainer can resume from it; removes it otherwise.
    /// </summary>
    private static void TakeOverInterrupted(StageContext context, string stage, CommonOptions options, string runDir, int worldSize)
    {
        while (Execution.StageRunFolders.Find(context.Artifacts, context.InstanceId, context.ActivityId, context.Iteration) is { } left)
        {
            var checkpoint = new CheckpointStore(left.Path).List().LastOrDefault();
            if (checkpoint.path is null || !RunSession.CanResume(stage, options, checkpoint.path, worldSize))
            {
                context.Log($"{stage}: removing the run folder of an interrupted attempt ({(checkpoint.path is null ? "no checkpoint" : "its checkpoint does not fit these options")})");
                ArtifactStore.Delete(left.Path);
                continue;
            }
            Directory.Move(left.Path, runDir);
            options.ResumeFrom = new CheckpointStore(runDir).PathOf(checkpoint.step);
            context.Log($"{stage}: resuming the interrupted run from its checkpoint at step {checkpoint.step}");
            return;
        }
    }

    /// <summary>
    /// <see cref="Run{TResult}"/> for a data-parallel trainer: in this process when the stage's <c>nproc</c> is 1, else
    /// as nproc `align train STAGE` worker processes (<see cref="WorkerLauncher"/>) on the same run folder, their output
    /// in the stage's log; the result is read back from the run's metrics.jsonl. An interrupted run resumes with the
    /// same number of workers.
    /// </summary>
    public static RunResult RunTrainer(StageContext context, string stage, CommonOptions options, Func<string, ITrainingProgress, RunResult> train,
                                       Action<string, RunResult> store)
    {
        int nproc = context.Descriptor.FindInput(NprocInput.Name) is not null && context.Inputs.Has(NprocInput.Name)
            ? Convert.ToInt32(context.Inputs.Values[NprocInput.Name], CultureInfo.InvariantCulture) : 1;
        if (nproc <= 1) return Run(context, stage, options, train, store);
        return Run(context, stage, options, (dir, _) => RunWorkers(context, stage, options, nproc, dir), store, nproc);
    }

    private static RunResult RunWorkers(StageContext context, string stage, CommonOptions options, int nproc, string runDir)
    {
        string config = context.Artifacts.NewTempPath(".json");
        try
        {
            var values = new JsonObject();
            foreach (var (key, value) in OptionsSnapshot.Capture(options))
                if (value is not null) values[key] = value.DeepClone();
            File.WriteAllText(config, values.ToJsonString());
            var log = new StageLogWriter(line => context.Log($"{stage}: {line}"));
            var plan = new LaunchPlan(nproc, 1, 0, "127.0.0.1", LaunchPlan.FreeLoopbackPort(), Math.Max(1, Torch.torch.get_num_threads() / nproc));
            int code = WorkerLauncher.Run(plan, ["train", stage, "--config", config, "--output", runDir], log, log, context.Cancellation);
            context.Cancellation.ThrowIfCancellationRequested();
            if (code != 0) throw new WorkflowException($"{stage}: {log.LastError ?? "a data-parallel worker failed"}");
            var history = MetricsWriter.Read(Path.Combine(runDir, RunSession.MetricsFile));
            int steps = history.Count > 0 && history[^1].TryGetValue("step", out var s) && s is double d ? (int)d : 0;
            return new RunResult(steps, steps, false, history);
        }
        finally
        {
            File.Delete(config);
        }
    }

    /// <summary>Stores the trained weights of a run folder (its top-level files except metrics and reference log-probs).</summary>
    public static ArtifactRecord StoreWeights(StageContext context, string output, string runDir) => context.WriteFolder(output, temp =>
    {
        foreach (string file in Directory.EnumerateFiles(runDir).Where(f => !RunFiles.Contains(Path.GetFileName(f)) && !Path.GetFileName(f).StartsWith('.')))
            File.Copy(file, Path.Combine(temp, Path.GetFileName(file)));
    });

    /// <summary>Stores metrics.jsonl (without the wall-clock rates) as a report artifact for curves.</summary>
    public static void StoreMetrics(StageContext context, string runDir)
    {
        string source = Path.Combine(runDir, RunSession.MetricsFile);
        context.WriteFile("metrics", temp =>
        {
            var lines = File.Exists(source) ? File.ReadAllLines(source).Where(l => l.Length > 0) : [];
            File.WriteAllLines(temp, lines.Select(line =>
            {
                var record = JsonNode.Parse(line)!.AsObject();
                foreach (string key in TimingKeys) record.Remove(key);
                return record.ToJsonString();
            }));
        });
    }

    /// <summary>The last logged value of a metric, or NaN when it was never logged.</summary>
    public static double Last(RunResult result, string key) =>
        result.LogHistory.LastOrDefault(r => r.TryGetValue(key, out var v) && v is not null) is { } record ? record[key]!.Value : double.NaN;

    /// <summary>
    /// The options every trainer stage fixes: the starting model and data (artifact paths), and the checkpoint cadence:
    /// a checkpoint every tenth of the stage's steps (<see cref="CheckpointFraction"/>; ceil(total / 10) steps) and at
    /// the end, keeping only the newest, so a killed stage redoes at most a tenth of its steps on resume.
    /// </summary>
    public static Dictionary<string, object?> RunPaths(StageInputs inputs, string dataInput) => new()
    {
        ["model"] = inputs.Artifact("model").Path,
        ["data"] = inputs.Artifact(dataInput).Path,
        ["save_steps"] = 0L,
        ["save_fraction"] = CheckpointFraction,
        ["save_total_limit"] = 1L,
    };

    /// <summary>The share of a training stage's steps between checkpoints: what a kill can cost at most.</summary>
    public const double CheckpointFraction = 0.1;

    /// <summary>The two weight outputs of a trainer stage: a model (full or freeze tuning) or an adapter (LoRA).</summary>
    public static OutputDescriptor[] WeightOutputs(string modelDescription) =>
    [
        new OutputDescriptor("model", OutputType.Artifact, $"{modelDescription} (finetuning full or freeze; unset with a PEFT method).", ArtifactKind.Model, Optional: true),
        new OutputDescriptor("adapter", OutputType.Artifact, "The PEFT adapter (finetuning lora, prefix_tuning, prompt_tuning, p_tuning or ia3; unset otherwise).", ArtifactKind.Adapter, Optional: true),
    ];

    /// <summary>The declared output for metrics (a report artifact).</summary>
    public static OutputDescriptor MetricsOutput { get; } =
        new("metrics", OutputType.Artifact, "metrics.jsonl: one JSON object per logged step (TRL metric names; wall-clock rates left out).", ArtifactKind.Report);

    /// <summary>Sets a number output, writing -1 for a metric that was never logged.</summary>
    public static void SetMetric(StageContext context, string output, double value) =>
        context.SetValue(output, double.IsFinite(value) ? value : -1.0);

    public static string Text(double value) => value.ToString("G5", CultureInfo.InvariantCulture);

    /// <summary>The trainer's progress as the stage's progress and log; cancellation stops it after the current step.</summary>
    private sealed class StageProgress(StageContext context, string stage, string runDir) : ITrainingProgress
    {
        private int total = 1;

        public void Start(string name, int completedSteps, int totalSteps)
        {
            total = Math.Max(1, totalSteps);
            Execution.StageRunFolders.Mark(runDir, context.InstanceId, context.ActivityId, context.Iteration, totalSteps);
            context.Log($"{stage}: {totalSteps} steps");
        }

        public void Step(int step, double loss)
        {
            context.Progress((double)step / total, $"step {step}/{total} loss {Text(loss)}");
            context.Cancellation.ThrowIfCancellationRequested();
        }

        public void Message(string text) => context.Log($"{stage}: {text}");

        public void Finish() => context.Log($"{stage}: done");
    }
}
