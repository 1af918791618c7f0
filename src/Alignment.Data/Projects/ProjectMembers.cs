using Alignment.Data.Annotators;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Store;
using Dapper;
using System.Data.Common;

namespace Alignment.Data.Projects;

/// <summary>
/// Who may list and label a project: its members, and every admin. Projects start with no members; admins add and
/// remove them. Removing a member releases the items they hold in that project, so those go back to the pool.
/// </summary>
public sealed class ProjectMembers(AlignStore store)
{
    /// <summary>Adds the account to the project; true when it was not a member yet. Throws <see cref="NotFoundException"/>.</summary>
    public bool Add(long projectId, long annotatorId) => store.Write((connection, transaction) =>
    {
        ProjectService.Load(connection, transaction, projectId);
        AnnotatorService.Load(connection, transaction, annotatorId);
        return connection.Execute(
            """
            INSERT INTO project_members (project_id, annotator_id, added_at) VALUES (@projectId, @annotatorId, @Now)
            ON CONFLICT (project_id, annotator_id) DO NOTHING
            """, new { projectId, annotatorId, Now = store.NowText() }, transaction) == 1;
    });

    /// <summary>
    /// Removes the account from the project and releases its live leases there; true when it was a member.
    /// Its judgments stay. Throws <see cref="NotFoundException"/>.
    /// </summary>
    public bool Remove(long projectId, long annotatorId) => store.Write((connection, transaction) =>
    {
        ProjectService.Load(connection, transaction, projectId);
        AnnotatorService.Load(connection, transaction, annotatorId);
        var removed = connection.Execute(
            "DELETE FROM project_members WHERE project_id = @projectId AND annotator_id = @annotatorId",
            new { projectId, annotatorId }, transaction) == 1;
        var released = connection.Query<long>(
            """
            UPDATE assignments SET state = 'released', updated_at = @Now
            WHERE project_id = @projectId AND annotator_id = @annotatorId AND state = 'leased'
            RETURNING comparison_id
            """, new { projectId, annotatorId, Now = store.NowText() }, transaction).ToList();
        foreach (var comparisonId in released)
            QueueService.RefreshRemaining(connection, transaction, comparisonId);
        return removed;
    });

    /// <summary>The project's members by name (admins that were not added are not listed). Throws <see cref="NotFoundException"/>.</summary>
    public IReadOnlyList<Annotator> List(long projectId) => store.Read(connection =>
    {
        ProjectService.Load(connection, null, projectId);
        return connection.Query<long>(
                """
                SELECT a.id FROM project_members m JOIN annotators a ON a.id = m.annotator_id
                WHERE m.project_id = @projectId ORDER BY a.name
                """, new { projectId })
            .Select(id => AnnotatorService.Load(connection, null, id)).ToList();
    });

    /// <summary>Whether the account may see and label the project (an active admin, or an active member).</summary>
    public bool CanAccess(long projectId, long annotatorId) => store.Read(connection =>
        Access(connection, null, projectId, annotatorId) == AccessResult.Allowed);

    /// <summary>Throws unless the account may see and label the project: <see cref="NotFoundException"/> or <see cref="ForbiddenException"/>.</summary>
    public void RequireAccess(long projectId, long annotatorId) => store.Read(connection =>
    {
        ProjectService.Load(connection, null, projectId);
        Require(connection, null, projectId, annotatorId);
        return true;
    });

    /// <summary>The projects the account may see, by name: all of them for an admin, its memberships otherwise.</summary>
    public IReadOnlyList<Project> ProjectsOf(long annotatorId) => store.Read(connection =>
        connection.Query<long>(
                """
                SELECT p.id FROM projects p JOIN annotators a ON a.id = @annotatorId AND a.is_active = 1
                WHERE a.role = 'admin'
                   OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.annotator_id = a.id)
                ORDER BY p.name
                """, new { annotatorId })
            .Select(id => ProjectService.Load(connection, null, id)).ToList());

    /// <summary>The check the queue runs inside its transactions (see <see cref="RequireAccess"/>).</summary>
    internal static void Require(DbConnection connection, DbTransaction? transaction, long projectId, long annotatorId)
    {
        switch (Access(connection, transaction, projectId, annotatorId))
        {
            case AccessResult.NoAccount: throw new NotFoundException("annotator", annotatorId);
            case AccessResult.Disabled: throw new ForbiddenException($"Annotator {annotatorId} is disabled.");
            case AccessResult.NotMember:
                throw new ForbiddenException($"Annotator {annotatorId} is not a member of project {projectId}; an admin can add them on the project's page.");
        }
    }

    private enum AccessResult { Allowed, NoAccount, Disabled, NotMember }

    private static AccessResult Access(DbConnection connection, DbTransaction? transaction, long projectId, long annotatorId)
    {
        var row = connection.QuerySingleOrDefault<(long IsActive, string Role, long IsMember)?>(
            """
            SELECT a.is_active, a.role,
                   EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = @projectId AND m.annotator_id = a.id)
            FROM annotators a WHERE a.id = @annotatorId
            """, new { projectId, annotatorId }, transaction);
        return row switch
        {
            null => AccessResult.NoAccount,
            { IsActive: 0 } => AccessResult.Disabled,
            { Role: "admin" } or { IsMember: not 0 } => AccessResult.Allowed,
            _ => AccessResult.NotMember,
        };
    }
}
