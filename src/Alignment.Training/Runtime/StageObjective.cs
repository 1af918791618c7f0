using Alignment.Torch;

namespace Alignment.Training.Runtime;

/// <summary>Weighted metric sums over the micro-batches of one step (or one evaluation): value = sum / weight.</summary>
public sealed class MetricSums
{
    private readonly Dictionary<string, (double sum, double weight)> values = new(StringComparer.Ordinal);
    private readonly List<string> order = new();

    /// <summary>Adds <paramref name="sum"/> (already a sum over <paramref name="weight"/> items).</summary>
    public void Add(string key, double sum, double weight)
    {
        if (!values.TryGetValue(key, out var v)) order.Add(key);
        values[key] = (v.sum + sum, v.weight + weight);
    }

    /// <summary>Adds every key of <paramref name="other"/> with nothing in it (a rank with no examples this step still
    /// takes part in <see cref="Reduce"/> with the same keys in the same order).</summary>
    public void AddKeysOf(MetricSums other)
    {
        foreach (string k in other.order) Add(k, 0, 0);
    }

    /// <summary>Replaces every sum and weight by its total over the ranks (<paramref name="sum"/> is the element-wise sum
    /// over ranks; every rank must hold the same keys in the same order).</summary>
    public void Reduce(Func<double[], double[]> sum)
    {
        var packed = sum(order.SelectMany(k => new[] { values[k].sum, values[k].weight }).ToArray());
        for (int i = 0; i < order.Count; i++) values[order[i]] = (packed[2 * i], packed[2 * i + 1]);
    }

    public IEnumerable<KeyValuePair<string, double>> Means() =>
        order.Select(k => new KeyValuePair<string, double>(k, values[k].weight > 0 ? values[k].sum / values[k].weight : double.NaN));
}

/// <summary>
/// The stage-specific part of the supervised loop (sft, rm, dpo, kto): how long an example is (for bucketing), how
/// many normalization units it brings (label tokens for sft, 1 per example otherwise) and the loss of a micro-batch.
/// </summary>
public interface IStageObjective<T>
{
    int Length(T example);

    double Units(T example);

    /// <summary>The loss of one micro-batch as its share of the accumulated batch's loss: the sum of its per-unit losses
    /// divided by <paramref name="normalizer"/> (the units of the whole accumulated batch), a scalar tensor with grad in
    /// training. Adds the stage's metrics (sums and weights) to <paramref name="metrics"/>.</summary>
    /// <param name="indices">The examples' indices in the data set (keys of precomputed reference log-probs).</param>
    Tensor Loss(IReadOnlyList<int> indices, IReadOnlyList<T> examples, double normalizer, MetricSums metrics, bool training);

    /// <summary>Data parallel: the loss a rank computes for a micro-batch in which it holds no examples (its shard of the
    /// step ran out), so that it still takes part in the step's collectives; it must add nothing to the step. By default
    /// the loss of <paramref name="standIn"/> times zero, its metrics discarded (but its keys kept, for the reduction).</summary>
    Tensor PaddingLoss(int index, T standIn, double normalizer, MetricSums metrics, bool training)
    {
        var keys = new MetricSums();
        var loss = Loss([index], [standIn], normalizer, keys, training) * 0.0;
        metrics.AddKeysOf(keys);
        return loss;
    }
}

/// <summary>Test and tooling hooks: stop after a step as if the process were killed, watch steps.</summary>
public sealed record RunHooks
{
    /// <summary>Return right after this step (and its checkpoint, when one is due), writing no final model.</summary>
    public int? StopAfterStep { get; init; }

    /// <summary>Called with the model once training is about to start (weights restored on resume).</summary>
    public Action<Alignment.Torch.torch.nn.Module>? OnStart { get; init; }

    /// <summary>Called after each optimizer step (and its checkpoint), outside its dispose scope.</summary>
    public Action<int, Alignment.Torch.torch.nn.Module>? OnStepEnd { get; init; }
}

/// <summary>What a run did.</summary>
public sealed record RunResult(int GlobalStep, int TotalSteps, bool Interrupted, IReadOnlyList<Dictionary<string, double?>> LogHistory);
