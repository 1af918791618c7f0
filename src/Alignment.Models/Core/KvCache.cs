using Alignment.Torch;
using static Alignment.Torch.torch;

namespace Alignment.Models.Core;

/// <summary>
/// Keys and values of the tokens seen so far, per decoder layer, each (B, Hkv, S, D). With a capacity the storage is
/// allocated once per layer (on first use, in the keys' dtype and device) and new tokens are copied into it, so a
/// generation loop neither grows the number of live tensors nor copies the cache every step; this mode is for
/// inference (under torch.no_grad()). Without a capacity each update concatenates (works with autograd).
/// The cache owns its tensors: dispose it.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] keys, values;
    private readonly int[] lengths;

    /// <param name="layers">Number of decoder layers.</param>
    /// <param name="capacity">Total positions (prompt + new tokens) to preallocate, or null to grow by concatenation.</param>
    public KvCache(int layers, int? capacity = null)
    {
        if (capacity is < 1) throw new ArgumentOutOfRangeException(nameof(capacity), "capacity must be at least 1");
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
        lengths = new int[layers];
        Capacity = capacity;
    }

    public int? Capacity { get; }

    /// <summary>Token positions cached so far (those of the first layer; all layers agree after a full forward), not
    /// counting <see cref="Virtual"/> positions: the length of the attention mask the caller passes is Length + new tokens.</summary>
    public int Length => Stored - Virtual;

    /// <summary>Every cached position, virtual ones included.</summary>
    public int Stored => lengths.Length == 0 ? 0 : lengths[0];

    /// <summary>Positions at the front that belong to no input token: the learned keys/values of prefix tuning or the
    /// outputs of prompt tuning's virtual tokens (set by the model that put them there).</summary>
    public int Virtual { get; private set; }

    /// <summary>Records that the first <paramref name="count"/> cached positions are (or, once the current forward has
    /// stored them, will be) virtual tokens.</summary>
    public void MarkVirtual(int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"{count} virtual positions");
        Virtual = count;
    }

    /// <summary>Appends this step's keys and values (B, Hkv, T, D) for <paramref name="layer"/> and returns all of
    /// them so far, (B, Hkv, S, D) with S = previous length + T, as tensors of the caller's dispose scope.</summary>
    public (Tensor keys, Tensor values) Update(int layer, Tensor k, Tensor v)
    {
        int t = (int)k.size(2);
        if (Capacity is int cap)
        {
            if (is_grad_enabled() && (k.requires_grad || v.requires_grad))
                throw new ModelException("a preallocated KV cache is for inference: run the forward under torch.no_grad(), or use a KvCache without capacity");
            if (lengths[layer] + t > cap)
                throw new ModelException($"KV cache capacity {cap} exceeded: {lengths[layer]} cached + {t} new positions");
            keys[layer] ??= Allocate(k, cap);
            values[layer] ??= Allocate(v, cap);
            using (no_grad())
            {
                using var kDst = keys[layer]!.narrow(2, lengths[layer], t);
                using var vDst = values[layer]!.narrow(2, lengths[layer], t);
                kDst.copy_(k);
                vDst.copy_(v);
            }
            lengths[layer] += t;
            return (keys[layer]!.narrow(2, 0, lengths[layer]), values[layer]!.narrow(2, 0, lengths[layer]));
        }

        var newK = keys[layer] is { } oldK ? cat(new[] { oldK, k }, 2) : k.alias();  // (B, Hkv, S, D)
        var newV = values[layer] is { } oldV ? cat(new[] { oldV, v }, 2) : v.alias();
        keys[layer]?.Dispose();
        values[layer]?.Dispose();
        keys[layer] = newK.DetachFromDisposeScope();
        values[layer] = newV.DetachFromDisposeScope();
        lengths[layer] += t;
        return (newK.alias(), newV.alias());
    }

    private static Tensor Allocate(Tensor like, int capacity)
    {
        var s = like.shape;
        return zeros(new[] { s[0], s[1], capacity, s[3] }, like.dtype, like.device).DetachFromDisposeScope();
    }

    public void Dispose()
    {
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i]?.Dispose();
            values[i]?.Dispose();
            keys[i] = values[i] = null;
            lengths[i] = 0;
        }
        Virtual = 0;
    }
}
