using System.Text.Json.Nodes;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Activities;

/// <summary>The type of an activity input.</summary>
public enum InputType
{
    /// <summary>Text. Elsa type name <c>String</c>.</summary>
    String,
    /// <summary>A whole number. Elsa type name <c>Int32</c> (also accepted: Int64, Integer).</summary>
    Integer,
    /// <summary>A number. Elsa type name <c>Double</c> (also accepted: Single, Decimal, Number, and whole-number types).</summary>
    Number,
    /// <summary>true or false (also "true"/"false" text). Elsa type name <c>Boolean</c>.</summary>
    Boolean,
    /// <summary>
    /// A path to a file. Relative paths in a Literal resolve against the definition's folder, those given with
    /// <c>--input</c> against the caller's folder. The cache key uses the file's sha256, never its path.
    /// </summary>
    File,
    /// <summary>An artifact of a declared kind: an <c>Output</c> of an upstream activity or an <c>Artifact</c> hash. Elsa type name <c>Artifact</c>.</summary>
    Artifact,
}

/// <summary>The type of an activity output.</summary>
public enum OutputType
{
    /// <summary>An artifact in the store (its value is the sha256).</summary>
    Artifact,
    /// <summary>A number (for FlowDecision conditions, e.g. a win rate).</summary>
    Number,
    /// <summary>Text.</summary>
    String,
    /// <summary>true or false.</summary>
    Boolean,
}

/// <summary>One declared input of an activity.</summary>
/// <param name="Name">The camelCase key under which the input is stored on the activity.</param>
/// <param name="Type">Its type.</param>
/// <param name="Description">What it does (shown in help and the designer's property panel).</param>
/// <param name="Required">Whether the activity must set it (inputs with a default never need to).</param>
/// <param name="Default">The value used when it is not set (null: none).</param>
/// <param name="ArtifactKind">For <see cref="InputType.Artifact"/>: the kind it accepts.</param>
/// <param name="Choices">For text inputs with a fixed set of values: the values.</param>
/// <param name="AffectsCache">False for operational inputs (poll intervals, flag files) that do not change the result and stay out of the cache key.</param>
/// <param name="ReferencedFiles">For <see cref="InputType.File"/>: the other files this file names (full paths), whose
/// content counts for the cache key too — e.g. a rule file's reference answers.</param>
/// <param name="Minimum">For <see cref="InputType.Integer"/>: the smallest value accepted, checked by validation (Literals)
/// and when the stage runs (values from inputs, variables, outputs and formulas); null: any.</param>
public sealed record InputDescriptor(
    string Name,
    InputType Type,
    string Description,
    bool Required = false,
    JsonNode? Default = null,
    ArtifactKind? ArtifactKind = null,
    IReadOnlyList<string>? Choices = null,
    bool AffectsCache = true,
    Func<string, IReadOnlyList<string>>? ReferencedFiles = null,
    long? Minimum = null)
{
    /// <summary>Why a converted value is out of range (e.g. <c>must be at least 1, got -5</c>), or null when it is fine.</summary>
    public string? RangeProblem(object? value) =>
        Minimum is { } min && value is long l && l < min ? $"must be at least {min}, got {l}" : null;

    /// <summary>
    /// For a model input: it also takes a tokenizer alone (a model-kind folder with tokenizer files and no weights, see
    /// <see cref="OutputDescriptor.TokenizerOnly"/>), as CreateModel's <c>tokenizer</c> does. Other model inputs need weights.
    /// </summary>
    public bool TakesTokenizer { get; init; }

    /// <summary>The artifact types (<see cref="OutputDescriptor.ArtifactType"/>) it accepts; empty for other inputs.</summary>
    public IReadOnlyList<string> AcceptedArtifactTypes => ArtifactKind is not { } kind ? []
        : TakesTokenizer ? [kind.ToCode(), OutputDescriptor.Tokenizer] : [kind.ToCode()];

    /// <summary>Whether an output can feed this input: same value type, and for artifacts an accepted artifact type.</summary>
    public bool Accepts(OutputDescriptor output) => Type switch
    {
        InputType.Artifact => output.ArtifactType is { } type && AcceptedArtifactTypes.Contains(type),
        InputType.String or InputType.File => output.Type != OutputType.Artifact,
        InputType.Integer or InputType.Number => output.Type == OutputType.Number,
        InputType.Boolean => output.Type == OutputType.Boolean,
        _ => false,
    };

    /// <summary>What it takes, in words: <c>a model artifact</c>, <c>Integer</c>.</summary>
    public string Describe() => Type == InputType.Artifact ? $"a {string.Join(" or ", AcceptedArtifactTypes)} artifact" : Type.ToString();

    /// <summary>The Elsa <c>typeName</c> written for this input.</summary>
    public string TypeName => Type switch
    {
        InputType.String or InputType.File => "String",
        InputType.Integer => "Int32",
        InputType.Number => "Double",
        InputType.Boolean => "Boolean",
        InputType.Artifact => "Artifact",
        _ => "Object",
    };
}

/// <summary>One declared output of an activity.</summary>
/// <param name="Name">The camelCase name used in <c>Output:activityId.name</c>.</param>
/// <param name="Type">Artifact or a plain value.</param>
/// <param name="Description">What it holds.</param>
/// <param name="ArtifactKind">For artifacts: the kind.</param>
/// <param name="Optional">Whether a run may leave it unset (e.g. a trainer's <c>adapter</c> output, set only with LoRA).</param>
public sealed record OutputDescriptor(string Name, OutputType Type, string Description, ArtifactKind? ArtifactKind = null, bool Optional = false)
{
    /// <summary>The artifact type of a tokenizer alone.</summary>
    public const string Tokenizer = "tokenizer";

    /// <summary>
    /// For a model artifact: it holds a tokenizer and no weights (TrainTokenizer's output). It is stored as a model folder
    /// but only inputs that take a tokenizer (<see cref="InputDescriptor.TakesTokenizer"/>) accept it.
    /// </summary>
    public bool TokenizerOnly { get; init; }

    /// <summary>The type that decides which inputs it can feed: the artifact kind's code, or <c>tokenizer</c>; null for plain values.</summary>
    public string? ArtifactType => ArtifactKind is not { } kind ? null : TokenizerOnly ? Tokenizer : kind.ToCode();

    /// <summary>What it is, in words: <c>a tokenizer artifact</c>, <c>a Number</c>.</summary>
    public string Describe() => ArtifactType is { } type ? $"a {type} artifact" : $"a {Type}";
}

/// <summary>
/// What an activity type declares about itself: the metadata that drives validation, the cache key, the CLI's
/// <c>align workflows activities --json</c> and the designer's toolbox and property panels.
/// </summary>
/// <param name="Type">The type name as written in definitions (<c>Alignment.ImportDataset</c>, <c>Elsa.FlowDecision</c>).</param>
/// <param name="Version">The type version; a definition naming another version is an error. Bump it when results change (it is part of the cache key).</param>
/// <param name="Category">Toolbox group (Data, Labeling, Training, Flow ...).</param>
/// <param name="DisplayName">Short human name.</param>
/// <param name="Description">What it does.</param>
/// <param name="Inputs">Declared inputs.</param>
/// <param name="Outputs">Declared outputs.</param>
/// <param name="Ports">Outbound ports (outcomes); most activities have "Done".</param>
public sealed record ActivityDescriptor(
    string Type,
    int Version,
    string Category,
    string DisplayName,
    string Description,
    IReadOnlyList<InputDescriptor> Inputs,
    IReadOnlyList<OutputDescriptor> Outputs,
    IReadOnlyList<string>? Ports = null)
{
    /// <summary>The outbound ports (["Done"] unless declared).</summary>
    public IReadOnlyList<string> OutPorts => Ports ?? ["Done"];

    /// <summary>
    /// The implementation's revision within <see cref="Version"/>: bump it when the same inputs give different results
    /// (a bug fixed, a metric added) but definitions need not change. It is part of the cache key, so results cached by
    /// the older code are not reused; definitions keep naming the version.
    /// </summary>
    public int Revision { get; init; }

    public InputDescriptor? FindInput(string name) => Inputs.FirstOrDefault(i => i.Name == name);
    public OutputDescriptor? FindOutput(string name) => Outputs.FirstOrDefault(o => o.Name == name);
}
