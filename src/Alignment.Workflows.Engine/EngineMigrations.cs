using Alignment.Data.Store;

namespace Alignment.Workflows;

/// <summary>
/// The workflow engine's tables (instances, executions, bookmarks, artifacts, the stage cache, stored definitions): their
/// versioned migrations live in this project's <c>Migrations/</c> folder, owner <see cref="Migrator.WorkflowsOwner"/>,
/// applied by Data's migration runner the first time an engine repository uses a store.
/// </summary>
public static class EngineMigrations
{
    /// <summary>The engine's migrations embedded in this build.</summary>
    public static MigrationSet Set { get; } =
        MigrationSet.Embedded(Migrator.WorkflowsOwner, typeof(EngineMigrations).Assembly, "Alignment.Workflows.Engine.Migrations.");

    /// <summary>Brings <paramref name="store"/>'s engine tables up to date (once per store object) and returns it.</summary>
    public static AlignStore Ensure(AlignStore store)
    {
        store.EnsureSchema(Set);
        return store;
    }
}
