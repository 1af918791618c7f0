using Alignment.Data.Model;
using Alignment.Data.Store;
using Dapper;
using System.Data.Common;

namespace Alignment.Data.Projects;

/// <summary>Creates, reads and updates labeling projects.</summary>
public sealed class ProjectService(AlignStore store)
{
    private const string Columns =
        "id, name, guidelines_md, overlap_k, strength_max, aspects_enabled, gold_rate, lease_minutes, created_at";

    /// <summary>Creates a project. Throws <see cref="DuplicateNameException"/> when the name is taken.</summary>
    public Project Create(ProjectSettings settings)
    {
        settings.Validate();
        return store.Write((connection, transaction) =>
        {
            if (connection.ExecuteScalar<long?>("SELECT id FROM projects WHERE name = @Name", new { settings.Name }, transaction) is not null)
                throw new DuplicateNameException("project", settings.Name);
            var id = connection.ExecuteScalar<long>(
                """
                INSERT INTO projects (name, guidelines_md, overlap_k, strength_max, aspects_enabled, gold_rate, lease_minutes, created_at)
                VALUES (@Name, @GuidelinesMarkdown, @OverlapK, @StrengthMax, @AspectsEnabled, @GoldRate, @LeaseMinutes, @Now)
                RETURNING id
                """,
                new
                {
                    settings.Name, settings.GuidelinesMarkdown, settings.OverlapK, settings.StrengthMax,
                    AspectsEnabled = settings.AspectsEnabled ? 1L : 0L, settings.GoldRate, settings.LeaseMinutes, Now = store.NowText(),
                }, transaction);
            return Load(connection, transaction, id);
        });
    }

    /// <summary>The project with this id; throws <see cref="NotFoundException"/>.</summary>
    public Project Get(long id) => store.Read(connection => Load(connection, null, id));

    /// <summary>The project with this name, or null.</summary>
    public Project? Find(string name) => store.Read(connection =>
        connection.QuerySingleOrDefault<ProjectRow>($"SELECT {Columns} FROM projects WHERE name = @name", new { name })?.ToProject());

    /// <summary>The project with this name; throws <see cref="ProjectNotFoundException"/>.</summary>
    public Project GetByName(string name) => Find(name) ?? throw new ProjectNotFoundException(name);

    /// <summary>All projects by name.</summary>
    public IReadOnlyList<Project> List() => store.Read(connection =>
        connection.Query<ProjectRow>($"SELECT {Columns} FROM projects ORDER BY name").Select(r => r.ToProject()).ToList());

    /// <summary>
    /// Replaces a project's settings. Changing overlap k re-opens or closes comparisons accordingly
    /// (a comparison with k judgments stays complete when k drops; raising k puts it back in the queue).
    /// </summary>
    public Project Update(long id, ProjectSettings settings)
    {
        settings.Validate();
        return store.Write((connection, transaction) =>
        {
            var old = Load(connection, transaction, id);
            if (settings.Name != old.Name &&
                connection.ExecuteScalar<long?>("SELECT id FROM projects WHERE name = @Name", new { settings.Name }, transaction) is not null)
                throw new DuplicateNameException("project", settings.Name);
            connection.Execute(
                """
                UPDATE projects SET name = @Name, guidelines_md = @GuidelinesMarkdown, overlap_k = @OverlapK,
                    strength_max = @StrengthMax, aspects_enabled = @AspectsEnabled, gold_rate = @GoldRate,
                    lease_minutes = @LeaseMinutes
                WHERE id = @Id
                """,
                new
                {
                    Id = id, settings.Name, settings.GuidelinesMarkdown, settings.OverlapK, settings.StrengthMax,
                    AspectsEnabled = settings.AspectsEnabled ? 1L : 0L, settings.GoldRate, settings.LeaseMinutes,
                }, transaction);
            if (settings.OverlapK != old.OverlapK)
            {
                connection.Execute(
                    "UPDATE comparisons SET remaining = remaining + @Delta WHERE project_id = @Id AND is_gold = 0",
                    new { Id = id, Delta = settings.OverlapK - old.OverlapK }, transaction);
            }
            return Load(connection, transaction, id);
        });
    }

    internal static Project Load(DbConnection connection, DbTransaction? transaction, long id) =>
        connection.QuerySingleOrDefault<ProjectRow>($"SELECT {Columns} FROM projects WHERE id = @id", new { id }, transaction)?.ToProject()
        ?? throw new NotFoundException("project", id);

    private sealed class ProjectRow
    {
        public long Id { get; set; }
        public string Name { get; set; } = "";
        public string GuidelinesMd { get; set; } = "";
        public long OverlapK { get; set; }
        public long StrengthMax { get; set; }
        public long AspectsEnabled { get; set; }
        public double GoldRate { get; set; }
        public long LeaseMinutes { get; set; }
        public string CreatedAt { get; set; } = "";

        public Project ToProject() => new()
        {
            Id = Id, Name = Name, GuidelinesMarkdown = GuidelinesMd, OverlapK = (int)OverlapK,
            StrengthMax = (int)StrengthMax, AspectsEnabled = AspectsEnabled != 0, GoldRate = GoldRate,
            LeaseMinutes = (int)LeaseMinutes, CreatedAt = Timestamps.Parse(CreatedAt),
        };
    }
}
