using System.Text.Json.Nodes;
using Alignment.Torch;
using Alignment.Training.Checkpoints;
using Alignment.Training.Config;
using Alignment.Training.Distributed;
using Alignment.Training.Metrics;
using Alignment.Training.State;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.optim;
using static Alignment.Torch.torch.optim.lr_scheduler;

namespace Alignment.Training.Runtime;

/// <summary>
/// What every stage's run shares: the output folder (metrics.jsonl, checkpoints), the check that a resume is compatible
/// (same stage, same data, same math options — refused before any model is loaded, listing the differing keys), AdamW
/// and the schedule, and writing/reading checkpoints (weights, optimizer, scheduler, trainer_state.json).
/// In a data-parallel run (torchrun's variables set; see <see cref="DataParallel"/>) every rank opens the session and
/// joins the process group; rank 0 alone writes metrics.jsonl, checkpoints and the final model, and a checkpoint records
/// the world size and every rank's RNG state, so a resume with the same number of processes continues exactly.
/// </summary>
public sealed class RunSession : IDisposable
{
    public const string MetricsFile = "metrics.jsonl";

    private RunSession(string stage, CommonOptions options, string outputDir, Dictionary<string, JsonNode?> snapshot, string hash, string dataSha,
                       DataParallel parallel)
    {
        Parallel = parallel;
        Stage = stage;
        Options = options;
        Store = new CheckpointStore(outputDir);
        Snapshot = snapshot;
        OptionsHash = hash;
        DataSha = dataSha;
    }

    public string Stage { get; }
    public CommonOptions Options { get; }
    public CheckpointStore Store { get; }
    public Dictionary<string, JsonNode?> Snapshot { get; }
    public string OptionsHash { get; }
    public string DataSha { get; }

    /// <summary>This process's rank and the collectives of a data-parallel run (one process: the identity).</summary>
    public DataParallel Parallel { get; }

    /// <summary>Whether the stage's loop re-shards a checkpoint of another world size (allow_world_size_change).</summary>
    public bool ReshardsOnResume { get; private init; }

    /// <summary>The checkpoint being resumed and its state, or null for a fresh run.</summary>
    public string? ResumeDir { get; private set; }
    public TrainerState? Resumed { get; private set; }

    public string? LastCheckpoint { get; private set; }
    public List<Dictionary<string, double?>> History { get; private set; } = new();
    public Optimizer? Optimizer { get; private set; }
    public LambdaLR? Scheduler { get; private set; }
    private MetricsWriter? metrics;
    private bool createdFolder, createdMetrics, stepDone;

    /// <summary>Validates the options, checks the output folder and a requested resume, and opens metrics.jsonl.</summary>
    /// <param name="dataParallel">Whether the stage's loop runs data-parallel; a stage that does not is refused when
    /// torchrun's variables ask for more than one process.</param>
    /// <param name="reshards">Whether the stage's loop can resume at another world size (allow_world_size_change).</param>
    public static RunSession Open(string stage, CommonOptions options, string outputDir, bool dataParallel = false, bool reshards = false)
    {
        options.Validate();
        if (!File.Exists(options.Data)) throw new TrainingException($"data {options.Data}: file not found");
        if (!dataParallel) DistributedEnvironment.RequireSingleProcess(stage);
        var environment = DistributedEnvironment.FromProcess();
        var snapshot = OptionsSnapshot.Capture(options);
        var parallel = environment is null ? DataParallel.Single() : DataParallel.Join(environment);
        var session = new RunSession(stage, options, outputDir, snapshot, OptionsSnapshot.MathHash(snapshot, CommonOptions.NonMathKeys),
                                     OptionsSnapshot.FileSha256(options.Data!), parallel) { ReshardsOnResume = reshards };
        try
        {
            session.OpenOutput();
        }
        catch
        {
            session.Dispose();
            throw;
        }
        return session;
    }

    private void OpenOutput()
    {
        var options = Options;
        string outputDir = Store.OutputDir;
        var session = this;
        if (options.ResumeFrom is { Length: > 0 } resume)
        {
            session.ResumeDir = session.Store.Resolve(resume);
            session.Resumed = TrainerState.Load(session.ResumeDir);
            session.CheckCompatible(session.Resumed);
            session.History = session.Resumed.LogHistory;
            session.LastCheckpoint = session.ResumeDir;
        }
        else if (session.Store.List().Count > 0 || File.Exists(Path.Combine(outputDir, MetricsFile)))
        {
            throw new TrainingException($"{outputDir} already holds a run (metrics.jsonl or checkpoints); choose a new output folder, " +
                                        "or set resume_from to latest (or a checkpoint) to continue it");
        }
        if (File.Exists(outputDir)) throw new TrainingException($"output {outputDir}: is a file; give a folder for the run");
        // Every rank has checked the folder before rank 0 creates anything in it.
        Parallel.Barrier();
        if (!Parallel.IsMain) return;
        session.createdFolder = !Directory.Exists(outputDir);
        session.createdMetrics = !File.Exists(Path.Combine(outputDir, MetricsFile));
        Directory.CreateDirectory(outputDir);
        session.metrics = MetricsWriter.Open(Path.Combine(outputDir, MetricsFile), session.Resumed?.GlobalStep);
    }

    /// <summary>Why a stage that samples from the policy (ppo, grpo, rloo, online-dpo) resumes only at its checkpoint's world size.</summary>
    private const string FixedWorldReason =
        "a step samples batch_size × processes prompts and the checkpoint's position counts those global batches, which this loop " +
        "does not re-shard; and each rank samples with its own generator (without sampling_per_prompt), one state per rank in the " +
        "checkpoint, which cannot be split over or merged into another number of processes. The resumed run would take other " +
        "batches and draw other completions than the interrupted one (the option applies to sft, upft, rm, dpo and kto).";

    private void CheckCompatible(TrainerState s)
    {
        string where = $"cannot resume from {ResumeDir}";
        if (s.Stage != Stage) throw new TrainingException($"{where}: it is a '{s.Stage}' checkpoint, not '{Stage}'");
        if (s.WorldSize != Parallel.WorldSize && !(Options.AllowWorldSizeChange && ReshardsOnResume))
            throw new TrainingException($"{where}: it was written by a run of {s.WorldSize} process(es) and this run has {Parallel.WorldSize}; the global " +
                                        $"batch (batch_size × gradient_accumulation_steps × processes) and the data order depend on it. Resume with --nproc {s.WorldSize} " +
                                        "(across machines: the same WORLD_SIZE)" +
                                        (ReshardsOnResume ? ", set allow_world_size_change to re-shard from the checkpoint's data position" : "") +
                                        ", or start a new run in a new output folder." +
                                        (Options.AllowWorldSizeChange ? $" allow_world_size_change does not apply to '{Stage}': {FixedWorldReason}" : ""));
        var diffs = OptionsSnapshot.MathDifferences(s.Options, Snapshot, CommonOptions.NonMathKeys);
        if (diffs.Count > 0)
            throw new TrainingException($"{where}: these settings differ from the checkpoint's and change the training math:\n  " +
                                        string.Join("\n  ", diffs) + "\nResume with the checkpoint's values, or start a new run in a new output folder.");
        if (s.OptionsSha256 != OptionsHash)
            throw new TrainingException($"{where}: the checkpoint's options hash differs from these options' (was it written by another version?)");
        if (s.DataSha256 != DataSha)
            throw new TrainingException($"{where}: the training data {Options.Data} changed since the checkpoint (sha256 {s.DataSha256[..12]}… then, " +
                                        $"{DataSha[..12]}… now); resume on the same data or start a new run");
    }

    /// <summary>AdamW (or GaLore's AdamW with use_galore) over the trainable parameters (no decay on biases and norms) and the warmup schedule over
    /// <paramref name="totalUpdates"/> optimizer updates; on resume both are restored from the checkpoint, with the weights.</summary>
    public void CreateOptimizer(TrainableModel model, int totalUpdates)
    {
        var trainable = model.Trainable();
        if (trainable.Count == 0) throw new TrainingException("no parameter is trainable (check finetuning and its options)");
        Optimizer = Options.UseGalore ? GaLore.Create(model, Options)
                                      : new AdamW(ParamGroup.with_weight_decay(trainable, Options.WeightDecay), Options.LearningRate, Options.AdamBeta1, Options.AdamBeta2);
        int warmup = (int)Math.Ceiling(totalUpdates * Options.WarmupRatio);
        Scheduler = get_scheduler(Options.LrScheduler, Optimizer, warmup, totalUpdates);
        if (ResumeDir is null) return;
        try
        {
            model.LoadCheckpoint(ResumeDir);
            Optimizer.load(Path.Combine(ResumeDir, CheckpointStore.OptimizerFile));
            Scheduler.load(Path.Combine(ResumeDir, CheckpointStore.SchedulerFile));
        }
        catch (TorchException e)
        {
            throw new TrainingException($"cannot resume from {ResumeDir}: {e.Message}");
        }
        // At another world size (allow_world_size_change) rank r continues rank r mod N's generator.
        RngState.RestoreDefault(Resumed!.RankTorchRngStates is { } states ? states[Parallel.Rank % states.Count] : Resumed.TorchRngState);
    }

    /// <summary>Writes a metrics record and keeps it for trainer_state.json.</summary>
    public void Log(IEnumerable<KeyValuePair<string, double>> record)
    {
        var list = record.ToList();
        metrics?.Log(list);
        stepDone = true;
        History.Add(list.ToDictionary(kv => kv.Key, kv => double.IsFinite(kv.Value) ? kv.Value : (double?)null));
    }

    /// <summary>The trainer state after <paramref name="step"/> steps, positioned at the next batch. Data parallel: a
    /// collective (every rank's RNG states, torch's and the sampling one, are gathered), so every rank calls it.</summary>
    public TrainerState State(int step, int maxSteps, int epoch, int batchInEpoch, string? samplingRng = null, Dictionary<string, double>? scalars = null)
    {
        string rng = RngState.CaptureDefault();
        var ranks = Parallel.Enabled ? Parallel.Gather(rng).ToList() : null;
        var samplingRanks = Parallel.Enabled && samplingRng is not null ? Parallel.Gather(samplingRng).ToList() : null;
        return State(step, maxSteps, epoch, batchInEpoch, rng, ranks, samplingRng, samplingRanks, scalars);
    }

    private TrainerState State(int step, int maxSteps, int epoch, int batchInEpoch, string rng, List<string>? ranks, string? samplingRng,
                               List<string>? samplingRanks, Dictionary<string, double>? scalars) => new()
    {
        Stage = Stage,
        GlobalStep = step,
        MaxSteps = maxSteps,
        Epoch = epoch,
        BatchInEpoch = batchInEpoch,
        SamplerSeed = Options.Seed,
        DataSha256 = DataSha,
        TorchRngState = rng,
        WorldSize = Parallel.WorldSize,
        RankTorchRngStates = ranks,
        SamplingRngState = samplingRng,
        RankSamplingRngStates = samplingRanks,
        Scalars = scalars ?? new(),
        Options = Snapshot,
        OptionsSha256 = OptionsHash,
        LogHistory = History.ToList(),
    };

    /// <summary>Whether a checkpoint is written after <paramref name="step"/> of <paramref name="total"/>: every save_steps
    /// steps, every ceil(save_fraction × total) steps, and at the last step.</summary>
    public bool CheckpointDue(int step, int total)
    {
        int byFraction = Options.SaveFraction > 0 ? (int)Math.Ceiling(Options.SaveFraction * total) : 0;
        return step == total || (Options.SaveSteps > 0 && step % Options.SaveSteps == 0) || (byFraction > 0 && step % byFraction == 0);
    }

    /// <summary>
    /// Whether a run of <paramref name="stage"/> with <paramref name="options"/> (its data on disk) would be allowed to
    /// resume from <paramref name="checkpoint"/>: the same checks as <c>resume_from</c> (stage, options that change the
    /// math, data, the number of data-parallel processes), answered without throwing; an unreadable checkpoint cannot be resumed.
    /// </summary>
    public static bool CanResume(string stage, CommonOptions options, string checkpoint, int worldSize = 1)
    {
        try
        {
            var state = TrainerState.Load(checkpoint);
            var snapshot = OptionsSnapshot.Capture(options);
            return state.Stage == stage && state.WorldSize == worldSize && OptionsSnapshot.MathDifferences(state.Options, snapshot, CommonOptions.NonMathKeys).Count == 0
                   && state.OptionsSha256 == OptionsSnapshot.MathHash(snapshot, CommonOptions.NonMathKeys)
                   && options.Data is { } data && File.Exists(data) && state.DataSha256 == OptionsSnapshot.FileSha256(data);
        }
        catch (Exception e) when (e is TrainingException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Writes checkpoints/step-N atomically and prunes old ones (data parallel: rank 0 writes, every rank
    /// calls it and learns the path).</summary>
    public string SaveCheckpoint(TrainableModel model, TrainerState state)
    {
        stepDone = true;
        if (!Parallel.IsMain) return LastCheckpoint = Store.PathOf(state.GlobalStep);
        LastCheckpoint = Store.Write(state.GlobalStep, Options.SaveTotalLimit, dir =>
        {
            model.SaveCheckpoint(dir);          // first: a Hugging Face save replaces the (empty) folder
            Optimizer!.save(Path.Combine(dir, CheckpointStore.OptimizerFile));
            Scheduler!.save(Path.Combine(dir, CheckpointStore.SchedulerFile));
            state.Save(dir);
        });
        return LastCheckpoint;
    }

    /// <summary>Closes the run. A fresh run that ended before its first step (a missing model, data the stage cannot use)
    /// takes back what it made: the metrics file, and the output folder when it created it, so the same command can be
    /// run again once the cause is fixed.</summary>
    /// <summary>Writes the final model (rank 0), then waits for every rank, so no worker reports the run done before
    /// the model is on disk.</summary>
    public void WriteFinal(TrainableModel model)
    {
        if (Parallel.IsMain) Store.WriteFinal(model.SaveFinal);
        Parallel.Barrier();
    }

    public void Dispose()
    {
        metrics?.Dispose();
        Optimizer?.Dispose();
        Parallel.Dispose();
        if (!Parallel.IsMain) return;
        if (stepDone || Resumed is not null || metrics is null) return;
        string dir = Store.OutputDir;
        if (createdFolder) Directory.Delete(dir, recursive: true);
        else if (createdMetrics) File.Delete(Path.Combine(dir, MetricsFile));
    }
}
