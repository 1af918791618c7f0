using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Formulas;
using Alignment.Workflows.Stages.Flow;

namespace Alignment.Workflows.Validation;

/// <summary>
/// Checks a definition before it runs and reports every problem at once, each naming the activity by id and name:
/// structure (root, ids), unknown activity types and versions, missing, unknown and mistyped inputs, references to
/// unknown workflow inputs, variables, activities and outputs or to activities that are not upstream, formulas that
/// do not parse, artifacts missing from the store, dangling connections (unknown activity or port), cycles that
/// no FlowDecision can end, whole-number inputs below their declared minimum and a step budget that is not positive.
/// <see cref="Warnings"/> lists what may still run: loops with no bounded exit.
/// </summary>
public sealed class WorkflowValidator(ActivityRegistry registry, ArtifactStore? artifacts = null)
{
    /// <summary>All problems found (empty when the definition is valid).</summary>
    public IReadOnlyList<ValidationError> Validate(WorkflowDefinition definition)
    {
        var errors = new List<ValidationError>();
        if (definition.Root is null)
        {
            errors.Add(new(ValidationCodes.Structure, null, null, "the definition has no \"root\" object (an Elsa.Flowchart with activities and connections)"));
            return errors;
        }
        if (definition.RootType != WorkflowDefinition.FlowchartType)
            errors.Add(new(ValidationCodes.Structure, null, null, $"the root activity is '{definition.RootType ?? "(no type)"}'; this engine runs {WorkflowDefinition.FlowchartType} roots"));

        if (definition.Json["customProperties"]?["maxSteps"] is { } budget && definition.MaxSteps is not > 0)
            errors.Add(new(ValidationCodes.Structure, null, null,
                $"customProperties.maxSteps (the step budget) must be a positive whole number, got {budget.ToJsonString()}"));

        var activities = definition.Activities;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in activities)
        {
            if (node.Id is not { Length: > 0 } id)
                errors.Add(Error(ValidationCodes.Structure, node, "has no \"id\""));
            else if (!ids.Add(id))
                errors.Add(Error(ValidationCodes.DuplicateId, node, "shares its id with another activity; ids must be unique"));
        }

        var graph = new FlowGraph(definition);
        var byId = activities.Where(a => a.Id is not null).GroupBy(a => a.Id!).ToDictionary(g => g.Key, g => g.First());
        var resolved = new Dictionary<string, IActivity>(StringComparer.Ordinal);
        foreach (var node in activities)
        {
            var activity = CheckType(node, errors);
            if (activity is null) continue;
            if (node.Id is not null) resolved.TryAdd(node.Id, activity);
        }
        foreach (var node in activities)
        {
            if (node.Id is null || !resolved.TryGetValue(node.Id, out var activity) || !ReferenceEquals(byId[node.Id], node)) continue;
            var references = new ReferenceChecker(definition, graph, node, resolved, byId, artifacts, errors);
            foreach (var input in activity.Descriptor.Inputs) references.CheckInput(input);
            foreach (var key in node.InputKeys.Where(k => activity.Descriptor.FindInput(k) is null))
                errors.Add(Error(ValidationCodes.UnknownInput, node,
                    $"has an input '{key}' that {activity.Descriptor.Type} does not declare (it has: {string.Join(", ", activity.Descriptor.Inputs.Select(i => i.Name))})"));
            foreach (var problem in activity.ValidateNode(node, definition))
                errors.Add(Error(problem.Contains("no workflow variable") ? ValidationCodes.UnknownVariable : ValidationCodes.MissingInput, node, problem));
        }

        CheckConnections(definition, byId, resolved, errors);
        CheckCycles(graph, byId, errors);
        if (activities.Count > 0 && graph.StartActivities.Count == 0)
            errors.Add(new(ValidationCodes.NoStart, null, null, "every activity has an inbound connection, so none can start the run (mark one with customProperties.canStartWorkflow: true)"));
        return errors;
    }

    /// <summary>
    /// Problems that do not stop a run (same shape as errors): loops with no bounded exit (see <see cref="CycleBounds"/>).
    /// Empty when the definition has no root.
    /// </summary>
    public IReadOnlyList<ValidationError> Warnings(WorkflowDefinition definition) =>
        definition.Root is null ? [] : CycleBounds.Warnings(definition, new FlowGraph(definition)).ToList();

    /// <summary>Validates and throws <see cref="WorkflowValidationException"/> with every error.</summary>
    public void ValidateOrThrow(WorkflowDefinition definition, string source)
    {
        var errors = Validate(definition);
        if (errors.Count > 0) throw new WorkflowValidationException(source, errors);
    }

    private IActivity? CheckType(ActivityNode node, List<ValidationError> errors)
    {
        if (node.Type is not { Length: > 0 } type)
        {
            errors.Add(Error(ValidationCodes.Structure, node, "has no \"type\""));
            return null;
        }
        var versions = registry.VersionsOf(type);
        if (versions.Count == 0)
        {
            errors.Add(Error(ValidationCodes.UnknownType, node, $"has unknown activity type '{type}' (see `align workflows activities`)"));
            return null;
        }
        if (node.Version is not { } version || registry.Find(type, version) is not { } activity)
        {
            errors.Add(Error(ValidationCodes.UnknownVersion, node,
                $"asks for {type} version {node.Json["version"]?.ToJsonString() ?? "?"}, which this build does not have (known: {string.Join(", ", versions)})"));
            return null;
        }
        return activity;
    }

    private static void CheckConnections(WorkflowDefinition definition, Dictionary<string, ActivityNode> byId,
        Dictionary<string, IActivity> resolved, List<ValidationError> errors)
    {
        foreach (var connection in definition.Connections)
        {
            var source = connection.SourceActivity is { } s ? byId.GetValueOrDefault(s) : null;
            var target = connection.TargetActivity is { } t ? byId.GetValueOrDefault(t) : null;
            if (source is null)
                errors.Add(new(ValidationCodes.DanglingConnection, target?.Id, target?.Name,
                    $"connection {connection}: source activity '{connection.SourceActivity}' does not exist" + (target is null ? "" : $" (target {target.Label})")));
            if (target is null)
                errors.Add(new(ValidationCodes.DanglingConnection, source?.Id, source?.Name,
                    $"connection {connection}: target activity '{connection.TargetActivity}' does not exist" + (source is null ? "" : $" (source {source.Label})")));
            if (source is not null && resolved.TryGetValue(source.Id!, out var activity))
            {
                var ports = activity.PortsOf(source);
                if (!ports.Contains(connection.SourcePort))
                    errors.Add(Error(ValidationCodes.DanglingConnection, source,
                        $"connection {connection}: has no port '{connection.SourcePort}' (ports: {string.Join(", ", ports)})"));
            }
            if (target is not null && connection.TargetPort != "In")
                errors.Add(Error(ValidationCodes.DanglingConnection, target, $"connection {connection}: activities are entered through port 'In', not '{connection.TargetPort}'"));
        }
    }

    private static void CheckCycles(FlowGraph graph, Dictionary<string, ActivityNode> byId, List<ValidationError> errors)
    {
        foreach (var cycle in graph.Cycles())
        {
            if (cycle.Any(id => byId[id].Type == FlowDecisionActivity.TypeName)) continue;
            var first = byId[cycle[0]];
            errors.Add(Error(ValidationCodes.Cycle, first,
                $"is on a cycle that no Elsa.FlowDecision can end: {string.Join(" -> ", cycle.Select(id => byId[id].Label))}; add a FlowDecision to leave the loop"));
        }
    }

    internal static ValidationError Error(string code, ActivityNode node, string problem) =>
        new(code, node.Id, node.Name, $"{node.Label}: {problem}");
}
