using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Reporting;

/// <summary>
/// Finds the training behind a model through artifact lineage: every artifact upstream of the given roots (the
/// evaluated policy, its reward model) whose producing stage run also stored a <c>metrics</c> artifact contributes
/// that run, e.g. SFT and then DPO for a DPO policy, or SFT, the reward model and PPO for a PPO policy.
/// </summary>
public static class TrainingHistory
{
    /// <summary>The output name under which trainer stages store their metrics.</summary>
    public const string MetricsOutput = "metrics";

    /// <summary>
    /// The trainer runs upstream of <paramref name="roots"/>, the furthest upstream first, each once. A metrics
    /// artifact missing from disk or unreadable is skipped and said in <paramref name="notes"/>.
    /// </summary>
    public static IReadOnlyList<TrainingRun> Find(ArtifactStore store, IEnumerable<ArtifactRecord> roots, List<string> notes)
    {
        var found = new List<(int Depth, int Order, ArtifactRecord Metrics, ArtifactProducer Producer)>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var metricsSeen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            foreach (var entry in store.Lineage(root.Hash))
            {
                if (!visited.Add(entry.Artifact.Hash) || entry.Artifact.Provenance.Producer is not { } producer) continue;
                if (entry.Artifact.Provenance.OutputName == MetricsOutput) continue;
                foreach (var sibling in store.ProducedWith(entry.Artifact))
                {
                    if (sibling.Provenance.OutputName != MetricsOutput || sibling.Kind != ArtifactKind.Report || !metricsSeen.Add(sibling.Hash)) continue;
                    found.Add((entry.Depth, found.Count, sibling, producer));
                }
            }
        }

        var runs = new List<TrainingRun>();
        foreach (var (_, _, metrics, producer) in found.OrderByDescending(f => f.Depth).ThenBy(f => f.Order))
        {
            if (!metrics.ExistsOnDisk)
            {
                notes.Add($"the metrics of {producer.ActivityId} ({metrics.Hash[..12]}) are no longer on disk; its curves are left out");
                continue;
            }
            try
            {
                runs.Add(TrainingRun.Read(producer.ActivityId, producer.StageType, metrics.Hash, metrics.Path));
            }
            catch (Exception e) when (e is WorkflowException or IOException)
            {
                notes.Add($"the metrics of {producer.ActivityId} could not be read ({e.Message}); its curves are left out");
            }
        }
        return runs;
    }
}
