using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Alignment.Training.State;

/// <summary>
/// trainer_state.json: everything besides weights, optimizer and scheduler that an exact resume needs — the position
/// in the data (epoch and batch index within it), the sampler seed, the RNG states, stage-specific scalars (e.g. PPO's
/// adaptive KL coefficient), the metrics logged so far and the options the run was started with.
/// </summary>
public sealed record TrainerState
{
    public const string FileName = "trainer_state.json";

    [JsonPropertyName("stage")] public required string Stage { get; init; }

    /// <summary>Optimizer steps completed.</summary>
    [JsonPropertyName("global_step")] public required int GlobalStep { get; init; }

    /// <summary>Steps the run plans in total.</summary>
    [JsonPropertyName("max_steps")] public required int MaxSteps { get; init; }

    /// <summary>Epoch of the next batch (0-based).</summary>
    [JsonPropertyName("epoch")] public required int Epoch { get; init; }

    /// <summary>Index of the next batch within <see cref="Epoch"/>'s plan.</summary>
    [JsonPropertyName("batch_in_epoch")] public required int BatchInEpoch { get; init; }

    [JsonPropertyName("sampler_seed")] public required ulong SamplerSeed { get; init; }

    /// <summary>sha256 of the training data file: resuming on other data is refused.</summary>
    [JsonPropertyName("data_sha256")] public required string DataSha256 { get; init; }

    /// <summary>libtorch's default CPU generator (dropout) as base64.</summary>
    [JsonPropertyName("torch_rng_state")] public required string TorchRngState { get; init; }

    /// <summary>Processes the run trained with (data parallel); resuming with another number is refused.</summary>
    [JsonPropertyName("world_size")] public int WorldSize { get; init; } = 1;

    /// <summary>Each rank's default CPU generator as base64, by rank (data parallel only; rank 0's is also
    /// <see cref="TorchRngState"/>).</summary>
    [JsonPropertyName("rank_torch_rng_states")] public List<string>? RankTorchRngStates { get; init; }

    /// <summary>The sampling generator (PPO, best-of-n) as base64, when the stage has one.</summary>
    [JsonPropertyName("sampling_rng_state")] public string? SamplingRngState { get; init; }

    /// <summary>Each rank's sampling generator, by rank (data parallel only; rank 0's is also <see cref="SamplingRngState"/>).</summary>
    [JsonPropertyName("rank_sampling_rng_states")] public List<string>? RankSamplingRngStates { get; init; }

    /// <summary>Stage scalars that evolve (e.g. "kl_coef").</summary>
    [JsonPropertyName("scalars")] public Dictionary<string, double> Scalars { get; init; } = new();

    /// <summary>Every option the run was started with (values as JSON).</summary>
    [JsonPropertyName("options")] public required Dictionary<string, JsonNode?> Options { get; init; }

    /// <summary>sha256 over the options that change the training math (see CommonOptions.NonMathKeys).</summary>
    [JsonPropertyName("options_sha256")] public required string OptionsSha256 { get; init; }

    /// <summary>Every metrics.jsonl record logged up to this step.</summary>
    [JsonPropertyName("log_history")] public List<Dictionary<string, double?>> LogHistory { get; init; } = new();

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public void Save(string folder) => File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, Json) + "\n");

    public static TrainerState Load(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new TrainingException($"{folder}: not a checkpoint ({FileName} is missing)");
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), Json)
                   ?? throw new TrainingException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new TrainingException($"{path}: not a valid trainer state ({e.Message})");
        }
    }
}
