using System.Text.Json.Nodes;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Activities;

/// <summary>An input as published to tools (<c>align workflows activities --json</c>, the designer's <c>GET /api/workflows/activities</c>).</summary>
/// <param name="Name">The camelCase key on the activity.</param>
/// <param name="Type">string, integer, number, boolean, file or artifact.</param>
/// <param name="TypeName">The Elsa <c>typeName</c> written for it.</param>
/// <param name="Required">Whether it must be set.</param>
/// <param name="Default">The value used when it is not set.</param>
/// <param name="Description">What it does.</param>
/// <param name="ArtifactKind">For artifacts: the kind (dataset, model ...).</param>
/// <param name="Choices">The allowed values of a text input, when fixed.</param>
/// <param name="AffectsCache">False for operational inputs left out of the cache key.</param>
/// <param name="Accepts">For artifacts: the output artifact types it takes (<see cref="OutputView.ArtifactType"/>).</param>
public sealed record InputView(string Name, string Type, string TypeName, bool Required, JsonNode? Default, string Description,
    string? ArtifactKind, IReadOnlyList<string>? Choices, bool AffectsCache, IReadOnlyList<string>? Accepts);

/// <summary>An output as published to tools.</summary>
/// <param name="Name">The name used in <c>Output:activityId.name</c>.</param>
/// <param name="Type">artifact, number, string or boolean.</param>
/// <param name="ArtifactKind">For artifacts: the kind.</param>
/// <param name="Description">What it holds.</param>
/// <param name="ArtifactType">For artifacts: the type inputs match on (the kind, or <c>tokenizer</c> for a model folder without weights).</param>
public sealed record OutputView(string Name, string Type, string? ArtifactKind, string Description, string? ArtifactType);

/// <summary>An activity type as published to tools: its descriptor in plain, serializable terms.</summary>
/// <param name="Type">The type name (<c>Alignment.Sft</c>).</param>
/// <param name="Version">The type version.</param>
/// <param name="Category">Toolbox group.</param>
/// <param name="DisplayName">Short human name.</param>
/// <param name="Description">What it does.</param>
/// <param name="Inputs">Declared inputs.</param>
/// <param name="Outputs">Declared outputs.</param>
/// <param name="Ports">Outbound ports (outcomes), e.g. True and False for a FlowDecision.</param>
public sealed record ActivityView(string Type, int Version, string Category, string DisplayName, string Description,
    IReadOnlyList<InputView> Inputs, IReadOnlyList<OutputView> Outputs, IReadOnlyList<string> Ports);

/// <summary>
/// The activity metadata that the CLI (<c>align workflows activities --json</c>) and the web designer publish, built from
/// one place so both always say the same (serialized with snake_case keys by both).
/// </summary>
public static class ActivityCatalog
{
    /// <summary>Every activity of <paramref name="registry"/>, in its order (category, type, version).</summary>
    public static IReadOnlyList<ActivityView> Describe(ActivityRegistry registry) =>
        registry.All.Select(a => Describe(a.Descriptor)).ToList();

    /// <summary>One descriptor as a view.</summary>
    public static ActivityView Describe(ActivityDescriptor d) => new(
        d.Type, d.Version, d.Category, d.DisplayName, d.Description,
        d.Inputs.Select(i => new InputView(i.Name, i.Type.ToString().ToLowerInvariant(), i.TypeName, i.Required, i.Default?.DeepClone(),
            i.Description, i.ArtifactKind?.ToCode(), i.Choices, i.AffectsCache, i.ArtifactKind is null ? null : i.AcceptedArtifactTypes)).ToList(),
        d.Outputs.Select(o => new OutputView(o.Name, o.Type.ToString().ToLowerInvariant(), o.ArtifactKind?.ToCode(), o.Description, o.ArtifactType)).ToList(),
        d.OutPorts);
}
