using System.Text;
using Alignment.Data.ImportExport;
using Alignment.Data.Projects;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.CreateComparisons</c>: imports a responses dataset (<c>{"prompt", "completion", "model"?}</c> rows,
/// several answers per prompt) into a labeling project through Data's ImportService and pairs the answers of each
/// prompt through its PairingService (all pairs, or K random pairs per prompt, seeded; sides randomized). Idempotent:
/// the project is found or created by name (default <c>wf-</c> + the first 12 digits of the stage's cache key), the
/// import skips rows already there and pairing never duplicates a pair, so a rerun after a crash changes nothing.
/// </summary>
public sealed class CreateComparisonsActivity : IStageActivity
{
    public const string TypeName = "Alignment.CreateComparisons";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Labeling", "Create comparisons",
        "Puts the answers of a responses dataset into a labeling project and pairs them per prompt for judging.",
        [
            new InputDescriptor("responses", InputType.Artifact, "Responses dataset: rows {\"prompt\", \"completion\", \"model\"?}, several per prompt.",
                Required: true, ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("project", InputType.String, "Labeling project name; default wf-<first 12 digits of the cache key>."),
            new InputDescriptor("overlap", InputType.Integer, "Judgments wanted per comparison, each by a different annotator (k).", Default: 1, Minimum: 1),
            new InputDescriptor("pairing", InputType.String, "all: every pair of answers to a prompt; random: pairsPerPrompt random pairs.",
                Default: "all", Choices: ["all", "random"]),
            new InputDescriptor("pairsPerPrompt", InputType.Integer, "Pairs per prompt when pairing is random.", Default: 1, Minimum: 1),
            new InputDescriptor("seed", InputType.Integer, "Seed of the random pairs and of which answer becomes A.", Default: 0, Minimum: 0),
            new InputDescriptor("skipSameModel", InputType.Boolean, "Never pair two answers of the same model.", Default: false),
            new InputDescriptor("guidelines", InputType.String, "Guidelines shown to annotators (markdown), for a new project.", Default: ""),
        ],
        [
            new OutputDescriptor("comparisons", OutputType.Artifact, "The project name, overlap and its comparisons.", ArtifactKind.Comparisons),
            new OutputDescriptor("count", OutputType.Number, "Number of comparisons in the project."),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var inputs = context.Inputs;
        string name = inputs.OptionalString("project") is { Length: > 0 } given ? given : $"wf-{context.CacheKey[..12]}";
        int overlap = inputs.Int("overlap");
        var projects = new ProjectService(context.Database);
        var project = projects.Find(name) ?? projects.Create(new ProjectSettings(name, inputs.String("guidelines"), OverlapK: overlap));
        if (project.OverlapK != overlap)
            throw new WorkflowException($"labeling project '{name}' exists with overlap {project.OverlapK}, but this stage asks for {overlap}; choose another project name");

        var responses = inputs.Artifact("responses");
        var import = new ImportService(context.Database).Import(project.Id, ImportKind.Responses, ToImportRows(responses.Path, out int empty), "responses.jsonl");
        if (empty > 0) context.Log($"{empty} empty answers left out (nothing to compare)");
        context.Log($"project '{name}' (id {project.Id}): {import.PromptsCreated} prompts and {import.ResponsesCreated} answers added, {import.Duplicates} already there");
        context.Cancellation.ThrowIfCancellationRequested();

        var options = new PairingOptions(
            inputs.String("pairing") == "random" ? PairingMode.RandomPairs : PairingMode.AllPairs,
            inputs.Int("pairsPerPrompt"), inputs.Int("seed"), inputs.Bool("skipSameModel"));
        int created = new PairingService(context.Database).CreateComparisons(project.Id, options);
        var set = ComparisonSet.FromDatabase(context.Database, project.Id, name, overlap);
        context.Log($"{created} comparisons created, {set.Comparisons.Count} in the project");
        if (set.Comparisons.Count == 0)
            throw new WorkflowException($"no comparisons could be formed: every prompt in the responses dataset needs at least two different answers");

        context.WriteFile("comparisons", temp => File.WriteAllText(temp, JsonLines.Compact(set.ToJson()) + "\n", new UTF8Encoding(false)));
        context.SetValue("count", set.Comparisons.Count);
        return Task.FromResult(StageResult.Completed);
    }

    /// <summary>The dataset's {"prompt","completion","model"} rows as Data's response import rows {"prompt","response","model"};
    /// empty answers (a sampled model may stop at once) are left out and counted in <paramref name="empty"/>.</summary>
    private static MemoryStream ToImportRows(string datasetPath, out int empty)
    {
        empty = 0;
        var buffer = new MemoryStream();
        using (var writer = new StreamWriter(buffer, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" })
        {
            foreach (var (line, row) in JsonLines.Read(datasetPath, "responses dataset"))
            {
                if (row["completion"] is System.Text.Json.Nodes.JsonValue text && text.GetValueKind() == System.Text.Json.JsonValueKind.String
                    && string.IsNullOrWhiteSpace(text.GetValue<string>()))
                {
                    empty++;
                    continue;
                }
                var converted = new System.Text.Json.Nodes.JsonObject
                {
                    ["prompt"] = row["prompt"]?.DeepClone() ?? throw new WorkflowException($"responses dataset:{line}: no \"prompt\""),
                    ["response"] = row["completion"]?.DeepClone() ?? throw new WorkflowException($"responses dataset:{line}: no \"completion\""),
                };
                if (row["model"] is { } model) converted["model"] = model.DeepClone();
                writer.WriteLine(JsonLines.Compact(converted));
            }
        }
        buffer.Position = 0;
        return buffer;
    }
}
