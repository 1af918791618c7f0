namespace Alignment.Tokenizers.Models;

/// <summary>
/// Applies ranked merges to one word, as Hugging Face's <c>Word::merge_all</c> does: repeatedly merge
/// the adjacent pair with the lowest merge rank, the leftmost one on a tie.
/// </summary>
internal static class BpeMerger
{
    /// <summary>Merges <paramref name="ids"/> in place (the first <paramref name="count"/> entries); returns the new count.</summary>
    public static int MergeAll(int[] ids, int count, IReadOnlyDictionary<long, Merge> merges)
    {
        if (count < 2) return count;
        var next = new int[count];
        var prev = new int[count];
        for (int i = 0; i < count; i++)
        {
            next[i] = i + 1 < count ? i + 1 : -1;
            prev[i] = i - 1;
        }
        var alive = new bool[count];
        Array.Fill(alive, true);

        var queue = new PriorityQueue<int, (int Rank, int Pos)>();
        for (int i = 0; i + 1 < count; i++)
            if (merges.TryGetValue(Key(ids[i], ids[i + 1]), out var m))
                queue.Enqueue(i, (m.Rank, i));

        while (queue.TryDequeue(out int pos, out var priority))
        {
            if (!alive[pos] || next[pos] < 0) continue;
            int right = next[pos];
            // Skip stale entries: the pair at pos changed since this entry was queued.
            if (!merges.TryGetValue(Key(ids[pos], ids[right]), out var merge) || merge.Rank != priority.Rank) continue;

            ids[pos] = merge.NewId;
            alive[right] = false;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;

            if (prev[pos] >= 0 && merges.TryGetValue(Key(ids[prev[pos]], ids[pos]), out var left))
                queue.Enqueue(prev[pos], (left.Rank, prev[pos]));
            if (next[pos] >= 0 && merges.TryGetValue(Key(ids[pos], ids[next[pos]]), out var after))
                queue.Enqueue(pos, (after.Rank, pos));
        }

        int n = 0;
        for (int i = 0; i >= 0 && i < count; i = next[i])
            ids[n++] = ids[i];
        return n;
    }

    public static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}

/// <summary>One merge rule: its rank (lower merges first) and the id of the merged token.</summary>
internal readonly record struct Merge(int Rank, int NewId);
