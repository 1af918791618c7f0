using System.Text.Json.Nodes;
using Alignment.Data.ImportExport;
using Alignment.Training.Datasets;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.ImportDataset</c>: a JSONL or CSV file becomes a dataset artifact, checked row by row with the
/// Training dataset readers for its declared format. JSONL is stored byte for byte; CSV (header row, flat text
/// columns) is converted to JSONL. Formats: <c>sft</c> (messages, prompt+completion, Alpaca, ShareGPT),
/// <c>preference</c> (prompt, chosen, rejected, margin?), <c>unpaired</c> (prompt, completion, label),
/// <c>prompts</c> (prompt) and <c>responses</c> (prompt, completion, model?: answers to be compared).
/// </summary>
public sealed class ImportDatasetActivity : IStageActivity
{
    public const string TypeName = "Alignment.ImportDataset";

    /// <summary>The formats and the CSV columns each reads (optional ones marked '?').</summary>
    public static readonly IReadOnlyDictionary<string, string[]> CsvColumns = new Dictionary<string, string[]>
    {
        ["sft"] = ["prompt", "completion"],
        ["preference"] = ["prompt", "chosen", "rejected", "margin?"],
        ["unpaired"] = ["prompt", "completion", "label"],
        ["prompts"] = ["prompt"],
        ["responses"] = ["prompt", "completion", "model?"],
    };

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Data", "Import dataset",
        "Reads a JSONL or CSV file, checks every row for the declared TRL format, and stores it as a dataset artifact.",
        [
            new InputDescriptor("path", InputType.File, "The .jsonl or .csv file (relative paths: to the definition's folder).", Required: true),
            new InputDescriptor("format", InputType.String, "Row format: sft, preference, unpaired, prompts or responses (prompt, completion, model?).",
                Default: "sft", Choices: [.. CsvColumns.Keys]),
        ],
        [
            new OutputDescriptor("dataset", OutputType.Artifact, "The data set as JSONL.", ArtifactKind.Dataset),
            new OutputDescriptor("rows", OutputType.Number, "Number of rows."),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        string source = context.Inputs.File("path");
        string format = context.Inputs.String("format");
        if (!System.IO.File.Exists(source)) throw new WorkflowException($"input 'path': {source} does not exist");
        bool csv = string.Equals(Path.GetExtension(source), ".csv", StringComparison.OrdinalIgnoreCase);
        int rows = 0;
        context.WriteFile("dataset", temp =>
        {
            if (csv)
            {
                context.Log($"converting CSV {source} to JSONL ({format})");
                using var stream = System.IO.File.OpenRead(source);
                JsonLines.Write(temp, ImportRows.Read(stream, Path.GetFileName(source), ImportFormat.Csv).Select(r => ToJson(r, format)));
            }
            else
            {
                System.IO.File.Copy(source, temp);
            }
            try
            {
                rows = Check(temp, format, csv ? $"{Path.GetFileName(source)} (converted to JSONL)" : source);
            }
            catch (DatasetException e) when (csv)
            {
                throw new WorkflowException(e.Message.Replace(temp, $"{source} (as JSONL)"));
            }
            context.Log($"{rows} {format} rows checked");
        });
        context.SetValue("rows", rows);
        return Task.FromResult(StageResult.Completed);
    }

    /// <summary>Reads the file with the reader for <paramref name="format"/>; returns the row count or throws naming file:line.</summary>
    public static int Check(string path, string format, string displayName)
    {
        switch (format)
        {
            case "sft": return DatasetReader.ReadSft(path).Count;
            case "preference": return DatasetReader.ReadPreferences(path).Count;
            case "unpaired": return DatasetReader.ReadUnpaired(path).Count;
            case "prompts": return DatasetReader.ReadPrompts(path).Count;
            case "responses":
                var examples = DatasetReader.ReadSft(path);
                foreach (var e in examples)
                {
                    if (e.Prompt?.Text is null || e.Completion?.Text is null)
                        throw new WorkflowException($"{displayName}:{e.Line}: a responses row needs text fields \"prompt\" and \"completion\" (\"model\" optional)");
                }
                foreach (var (line, row) in JsonLines.Read(path, displayName))
                {
                    if (row["model"] is { } model && model.GetValueKind() != System.Text.Json.JsonValueKind.String)
                        throw new WorkflowException($"{displayName}:{line}: field \"model\" must be a string");
                }
                return examples.Count;
            default:
                throw new WorkflowException($"unknown format '{format}'; use {string.Join(", ", CsvColumns.Keys)}");
        }
    }

    private static JsonObject ToJson(ImportRow row, string format)
    {
        var json = new JsonObject();
        if (format == "sft" && row.Optional("prompt") is null && row.Optional("instruction") is not null)
        {
            json["instruction"] = row.Required("instruction");
            json["input"] = row.Optional("input") ?? "";
            json["output"] = row.Required("output");
            return json;
        }
        foreach (var column in CsvColumns[format])
        {
            bool optional = column.EndsWith('?');
            string name = column.TrimEnd('?');
            string? text = name == "completion" && format == "responses" ? row.Optional("completion") ?? row.Optional("response") : row.Optional(name);
            if (text is null)
            {
                if (optional) continue;
                row.Required(name); // throws "file:line: field ... is missing"
            }
            json[name] = name switch
            {
                "label" => ParseLabel(row, text!),
                "margin" => double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double m)
                    ? JsonValue.Create(m) : throw row.Error("margin", $"is '{text}'; expected a number"),
                _ => JsonValue.Create(text),
            };
        }
        return json;
    }

    private static JsonNode ParseLabel(ImportRow row, string text) => text.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => JsonValue.Create(true),
        "false" or "0" or "no" => JsonValue.Create(false),
        _ => throw row.Error("label", $"is '{text}'; expected true or false"),
    };
}
