using System.Text.Json.Nodes;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Stages.Flow;
using Alignment.Workflows.Validation;

namespace Alignment.Workflows.Execution;

/// <summary>
/// How an instance's scheduler state moves when an activity completes: the activity leaves the queue, its outputs and
/// run count are recorded, and the successors behind the ports it fired are queued (a join once its arrivals allow).
/// Shared by the in-process runner and the stage jobs of <c>align worker</c>.
/// </summary>
internal static class FlowScheduling
{
    /// <summary>Records the completion of <paramref name="node"/> in <paramref name="state"/> and queues its successors.</summary>
    public static void Complete(WorkflowDefinition definition, FlowGraph graph, InstanceState state, ActivityNode node, JsonObject outputs,
        IReadOnlyList<string> ports, bool recordOutputs)
    {
        state.Queue.Remove(node.Id!);
        state.Iterations[node.Id!] = state.Iterations.GetValueOrDefault(node.Id!) + 1;
        if (recordOutputs)
            state.Outputs[node.Id!] = outputs.ToDictionary(o => o.Key, o => o.Value?.DeepClone(), StringComparer.Ordinal);
        foreach (var connection in graph.Outbound(node.Id!).Where(c => ports.Contains(c.SourcePort)))
            Schedule(definition, graph, state, connection);
    }

    private static void Schedule(WorkflowDefinition definition, FlowGraph graph, InstanceState state, FlowConnection connection)
    {
        var target = definition.FindActivity(connection.TargetActivity!)!;
        if (target.Type != FlowJoinActivity.TypeName)
        {
            if (!state.Queue.Contains(target.Id!)) state.Queue.Add(target.Id!);
            return;
        }
        var arrivals = state.Joins.TryGetValue(target.Id!, out var list) ? list : state.Joins[target.Id!] = [];
        string arrival = $"{connection.SourceActivity}:{connection.SourcePort}";
        if (!arrivals.Contains(arrival)) arrivals.Add(arrival);
        int inbound = graph.Inbound(target.Id!).Select(c => $"{c.SourceActivity}:{c.SourcePort}").Distinct().Count();
        bool fire = FlowJoinActivity.ModeOf(target) == JoinMode.WaitAll ? arrivals.Count >= inbound : arrivals.Count == 1;
        if (fire && !state.Queue.Contains(target.Id!)) state.Queue.Add(target.Id!);
        if (arrivals.Count >= inbound) state.Joins.Remove(target.Id!);
    }

    /// <summary>When nothing is scheduled, a WaitAll join with some arrivals fires: its other branches can no longer arrive.</summary>
    public static bool FireStalledJoin(WorkflowDefinition definition, FlowGraph graph, InstanceState state)
    {
        foreach (var id in graph.Ids)
        {
            if (!state.Joins.TryGetValue(id, out var arrivals) || arrivals.Count == 0) continue;
            state.Joins.Remove(id);
            if (FlowJoinActivity.ModeOf(definition.FindActivity(id)!) == JoinMode.WaitAll)
            {
                state.Queue.Add(id);
                return true;
            }
        }
        return false;
    }

    /// <summary>The step-budget message when <paramref name="state"/> has used the whole budget, else null.</summary>
    public static string? BudgetExhausted(WorkflowDefinition definition, InstanceState state, ActivityNode next)
    {
        int executed = state.Iterations.Values.Sum();
        if (executed < definition.StepBudget) return null;
        return $"step budget exhausted: {executed} activity executions ran, the most this instance may run " +
               $"({(definition.MaxSteps is null ? $"the default {WorkflowDefinition.DefaultMaxSteps}" : "customProperties.maxSteps of its definition")}); " +
               $"a loop that never ends stops here. If it is meant to run longer, raise the budget with customProperties.maxSteps in " +
               $"the definition or `align run --max-steps N`, and run it again (next: {next.Label})";
    }

    /// <summary>The variable a SetVariable names by name or id.</summary>
    public static string VariableName(WorkflowDefinition definition, string nameOrId) =>
        definition.Variables.FirstOrDefault(v => v.Name == nameOrId || v.Id == nameOrId)?.Name ?? nameOrId;

    /// <summary>What a control activity's execution row records as its outputs: the ports it fired.</summary>
    public static JsonObject PortOutputs(IReadOnlyList<string> ports) =>
        new() { ["ports"] = new JsonArray(ports.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()) };
}
