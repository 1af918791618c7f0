using Alignment.Data.Projects;
using Alignment.Data.Store;
using Dapper;

namespace Alignment.Data.ImportExport;

/// <summary>How comparisons are formed from the responses to each prompt.</summary>
public enum PairingMode
{
    /// <summary>Every unordered pair of responses.</summary>
    AllPairs,
    /// <summary>Up to K random pairs per prompt (seeded).</summary>
    RandomPairs,
}

/// <summary>Options for <see cref="PairingService.CreateComparisons"/>.</summary>
/// <param name="Mode">All pairs, or K random pairs per prompt.</param>
/// <param name="PairsPerPrompt">K for <see cref="PairingMode.RandomPairs"/>: each prompt ends with up to K comparisons (existing ones count).</param>
/// <param name="Seed">Seed for the random draw and for which response becomes A; the same seed and data give the same pairs.</param>
/// <param name="SkipSameModel">Do not pair two responses from the same (non-null) model.</param>
public sealed record PairingOptions(PairingMode Mode = PairingMode.AllPairs, int PairsPerPrompt = 1, int Seed = 0, bool SkipSameModel = false);

/// <summary>Creates comparisons from imported responses, in one transaction. Pairs that already exist (in either order) are never duplicated.</summary>
public sealed class PairingService(AlignStore store)
{
    /// <summary>Creates comparisons for every prompt of the project; returns how many were created.</summary>
    public int CreateComparisons(long projectId, PairingOptions options)
    {
        if (options.Mode == PairingMode.RandomPairs && options.PairsPerPrompt < 1)
            throw new Model.InvalidRequestException($"pairs per prompt must be at least 1 (got {options.PairsPerPrompt}).");
        return store.Write((connection, transaction) =>
        {
            var project = ProjectService.Load(connection, transaction, projectId);
            var random = new Random(options.Seed);
            var now = store.NowText();
            var created = 0;
            var responses = connection.Query<(long PromptId, long Id, string? Model)>(
                """
                SELECT r.prompt_id, r.id, r.model FROM responses r JOIN prompts p ON p.id = r.prompt_id
                WHERE p.project_id = @projectId ORDER BY r.prompt_id, r.id
                """, new { projectId }, transaction).GroupBy(r => r.PromptId);
            foreach (var prompt in responses)
            {
                var list = prompt.ToList();
                var candidates = new List<(long A, long B)>();
                for (var i = 0; i < list.Count; i++)
                for (var j = i + 1; j < list.Count; j++)
                {
                    if (options.SkipSameModel && list[i].Model is not null && list[i].Model == list[j].Model)
                        continue;
                    candidates.Add((list[i].Id, list[j].Id));
                }
                var existing = connection.ExecuteScalar<int>(
                    "SELECT COUNT(1) FROM comparisons WHERE project_id = @projectId AND prompt_id = @Key",
                    new { projectId, prompt.Key }, transaction);
                candidates.RemoveAll(c => ImportService.ComparisonExists(connection, transaction, projectId, c.A, c.B));
                var wanted = candidates.Count;
                if (options.Mode == PairingMode.RandomPairs)
                {
                    random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(candidates));
                    wanted = Math.Max(0, Math.Min(candidates.Count, options.PairsPerPrompt - existing));
                }
                foreach (var (first, second) in candidates.Take(wanted))
                {
                    var swap = random.Next(2) == 1;
                    connection.Execute(
                        """
                        INSERT INTO comparisons (project_id, prompt_id, response_a_id, response_b_id, is_gold, remaining, created_at)
                        VALUES (@projectId, @Key, @a, @b, 0, @OverlapK, @now)
                        """,
                        new { projectId, prompt.Key, a = swap ? second : first, b = swap ? first : second, project.OverlapK, now }, transaction);
                    created++;
                }
            }
            return created;
        });
    }
}
