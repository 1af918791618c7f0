using Alignment.Data.Store;
using Dapper;

namespace Alignment.Workflows.Execution;

/// <summary>
/// The one lease per instance that keeps two processes from running it at once. The owner (<c>host:pid:start</c>)
/// and an expiry are stored on the instance; the holder renews the expiry on a heartbeat. Another process may take
/// the lease when it is free, expired, or held by a process of this host that is gone (killed with -9: its pid is
/// not running, or belongs to a newer process). Taking and renewing are compare-and-set updates in
/// <c>BEGIN IMMEDIATE</c> transactions, so of two racing processes exactly one wins.
/// </summary>
public sealed class InstanceLease
{
    private readonly AlignStore _db;
    private readonly TimeSpan _duration;

    private InstanceLease(AlignStore db, string instanceId, string owner, TimeSpan duration)
    {
        _db = db;
        InstanceId = instanceId;
        Owner = owner;
        _duration = duration;
    }

    public string InstanceId { get; }
    public string Owner { get; }

    /// <summary>Takes the lease or throws <see cref="WorkflowStateException"/> naming the process that holds it.</summary>
    public static InstanceLease Acquire(AlignStore db, string instanceId, string owner, TimeSpan duration)
    {
        var holder = db.Write((connection, transaction) =>
        {
            var row = connection.QuerySingleOrDefault<(string? Owner, string? Expires)>(
                "SELECT lease_owner, lease_expires_at FROM workflow_instances WHERE id = @instanceId", new { instanceId }, transaction);
            var now = db.Clock.GetUtcNow();
            bool free = row.Owner is null || row.Owner == owner || row.Expires is null || Timestamps.Parse(row.Expires) <= now
                        || ProcessIdentity.IsDeadOwner(row.Owner);
            if (!free) return row;
            connection.Execute(
                "UPDATE workflow_instances SET lease_owner = @owner, lease_expires_at = @Expires WHERE id = @instanceId",
                new { instanceId, owner, Expires = Timestamps.ToText(now + duration) }, transaction);
            return ((string?, string?))(null, null);
        });
        if (holder.Item1 is { } other)
        {
            var parts = other.Split(':');
            string who = parts.Length >= 2 ? $"process {parts[1]} on host {parts[0]}" : other;
            throw new WorkflowStateException($"instance {instanceId} is being run by {who} (lease until {holder.Item2}); wait for it, or `align cancel {instanceId}`");
        }
        return new InstanceLease(db, instanceId, owner, duration);
    }

    /// <summary>True once a renewal found the lease taken over by another process.</summary>
    public bool Lost { get; private set; }

    /// <summary>Extends the lease; false (and <see cref="Lost"/>) when it was taken over after expiry.</summary>
    public bool Renew()
    {
        bool held = _db.Write((connection, transaction) => connection.Execute(
            "UPDATE workflow_instances SET lease_expires_at = @Expires WHERE id = @InstanceId AND lease_owner = @Owner",
            new { InstanceId, Owner, Expires = Timestamps.ToText(_db.Clock.GetUtcNow() + _duration) }, transaction) == 1);
        if (!held) Lost = true;
        return held;
    }

    /// <summary>Whether <c>align cancel</c> asked this instance to stop.</summary>
    public bool CancelRequested() => _db.Read(connection => connection.ExecuteScalar<long>(
        "SELECT cancel_requested FROM workflow_instances WHERE id = @InstanceId", new { InstanceId }) != 0);

    /// <summary>Gives the lease back (only if still held).</summary>
    public void Release() => _db.Write((connection, transaction) => connection.Execute(
        "UPDATE workflow_instances SET lease_owner = NULL, lease_expires_at = NULL WHERE id = @InstanceId AND lease_owner = @Owner",
        new { InstanceId, Owner }, transaction));

    /// <summary>Whether some process holds a live lease on the instance (not expired and not known dead).</summary>
    public static bool IsHeld(AlignStore db, string instanceId) => db.Read(connection =>
    {
        var row = connection.QuerySingleOrDefault<(string? Owner, string? Expires)>(
            "SELECT lease_owner, lease_expires_at FROM workflow_instances WHERE id = @instanceId", new { instanceId });
        return row.Owner is not null && row.Expires is not null && Timestamps.Parse(row.Expires) > db.Clock.GetUtcNow()
               && !ProcessIdentity.IsDeadOwner(row.Owner);
    });
}
