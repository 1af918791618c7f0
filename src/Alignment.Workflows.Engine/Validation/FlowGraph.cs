using Alignment.Workflows.Definitions;

namespace Alignment.Workflows.Validation;

/// <summary>
/// The flowchart as a graph over activity ids (connections whose two ends exist): inbound/outbound edges, start
/// activities, ancestors (what is upstream of what) and strongly connected components (cycles).
/// </summary>
public sealed class FlowGraph
{
    private readonly Dictionary<string, List<FlowConnection>> _out = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<FlowConnection>> _in = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _ancestors = new(StringComparer.Ordinal);

    private readonly HashSet<string> _flaggedStarts;

    public FlowGraph(WorkflowDefinition definition)
    {
        Ids = definition.Activities.Select(a => a.Id).OfType<string>().Distinct().ToList();
        _flaggedStarts = definition.Activities.Where(a => a.Id is not null && a.CanStartWorkflow).Select(a => a.Id!).ToHashSet();
        foreach (var id in Ids)
        {
            _out[id] = [];
            _in[id] = [];
        }
        foreach (var c in definition.Connections)
        {
            if (c.SourceActivity is not { } s || c.TargetActivity is not { } t || !_out.ContainsKey(s) || !_in.ContainsKey(t)) continue;
            _out[s].Add(c);
            _in[t].Add(c);
        }
    }

    /// <summary>Activity ids in file order.</summary>
    public IReadOnlyList<string> Ids { get; }

    public IReadOnlyList<FlowConnection> Outbound(string id) => _out.TryGetValue(id, out var list) ? list : [];
    public IReadOnlyList<FlowConnection> Inbound(string id) => _in.TryGetValue(id, out var list) ? list : [];

    /// <summary>
    /// Where a run starts, in file order: activities without inbound connections, and those marked with Elsa's
    /// <c>customProperties.canStartWorkflow: true</c> (how a loop's first activity, which has a back edge, is marked).
    /// </summary>
    public IReadOnlyList<string> StartActivities => Ids.Where(id => _in[id].Count == 0 || _flaggedStarts.Contains(id)).ToList();

    /// <summary>Every activity from which <paramref name="id"/> can be reached (itself included only when it is on a cycle).</summary>
    public IReadOnlySet<string> Ancestors(string id)
    {
        if (_ancestors.TryGetValue(id, out var known)) return known;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(Inbound(id).Select(c => c.SourceActivity!));
        while (stack.Count > 0)
        {
            var next = stack.Pop();
            if (!seen.Add(next)) continue;
            foreach (var c in Inbound(next)) stack.Push(c.SourceActivity!);
        }
        _ancestors[id] = seen;
        return seen;
    }

    /// <summary>The cycles: strongly connected components with more than one activity, or one with a self-loop (Tarjan).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        int index = 0;
        var indices = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var onStack = new HashSet<string>();
        var stack = new Stack<string>();
        var result = new List<IReadOnlyList<string>>();

        void Connect(string v)
        {
            indices[v] = low[v] = index++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in Outbound(v).Select(c => c.TargetActivity!))
            {
                if (!indices.ContainsKey(w))
                {
                    Connect(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                {
                    low[v] = Math.Min(low[v], indices[w]);
                }
            }
            if (low[v] != indices[v]) return;
            var component = new List<string>();
            string x;
            do
            {
                x = stack.Pop();
                onStack.Remove(x);
                component.Add(x);
            } while (x != v);
            if (component.Count > 1 || Outbound(v).Any(c => c.TargetActivity == v))
                result.Add(Ids.Where(component.Contains).ToList());
        }

        foreach (var id in Ids)
            if (!indices.ContainsKey(id)) Connect(id);
        return result;
    }
}
