using System.Security.Cryptography;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Validation;

namespace Alignment.Workflows.Execution.Jobs;

/// <summary>
/// Hands an instance's ready activities to the job engine. In one store transaction it reads the state, queues a job
/// for every scheduled activity that has none (and waits on no bookmark), and records the token each job carries;
/// so two workers finishing stages at once never hand out one activity twice. A job whose token is not the one
/// recorded (its dispatch did not commit, or a later round handed the activity out again) does nothing. When nothing
/// is scheduled or running the instance finishes (after a stalled WaitAll join fires); when what is left waits on
/// bookmarks it is suspended.
/// </summary>
internal sealed class WorkerDispatch(WorkflowEngine engine)
{
    public void Dispatch(string instanceId)
    {
        var repo = engine.Repository;
        engine.Db.Write((c, t) =>
        {
            if (InstanceRepository.Get(c, t, instanceId).Status != InstanceStatus.Running) return;
            var (definitionJson, _, _, state) = repo.LoadRuntime(c, t, instanceId);
            if (state.Queue.Count == 0 && state.Running.Count == 0)
            {
                var definition = DefinitionSerializer.Parse(definitionJson, $"instance {instanceId}");
                if (!FlowScheduling.FireStalledJoin(definition, new FlowGraph(definition), state))
                {
                    repo.SetStatus(c, t, instanceId, InstanceStatus.Finished, null, state);
                    return;
                }
            }
            var bookmarked = repo.BookmarkedActivities(c, t, instanceId);
            foreach (var activity in state.Queue.Where(a => !state.Dispatched.ContainsKey(a) && !bookmarked.Contains(a)).ToList())
            {
                string token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
                engine.Jobs.Enqueue(instanceId, activity, token);
                state.Dispatched[activity] = token;
            }
            if (state.Dispatched.Count == 0 && state.Running.Count == 0 && bookmarked.Count > 0)
                repo.SetStatus(c, t, instanceId, InstanceStatus.Suspended, null, state);
            else
                repo.SaveState(c, t, instanceId, state);
        });
    }

    /// <summary>
    /// Marks a new instance (or one to continue) as run by workers and hands out its ready activities: the lease this
    /// process holds is given back (workers hold none), bookmarks are cleared so suspended stages check again, and
    /// activities handed out earlier whose jobs never started are handed out anew.
    /// </summary>
    public void Submit(string instanceId)
    {
        var repo = engine.Repository;
        engine.Db.Write((c, t) =>
        {
            var (_, _, _, state) = repo.LoadRuntime(c, t, instanceId);
            state.Workers = true;
            state.CurrentExecution = null;
            foreach (var activity in state.Dispatched.Keys.Where(a => !state.Running.ContainsKey(a)).ToList())
                state.Dispatched.Remove(activity);
            repo.ClearBookmarks(c, t, instanceId);
            repo.SetStatus(c, t, instanceId, InstanceStatus.Running, null, state);
        });
        InstanceLease.Acquire(engine.Db, instanceId, engine.Options.Owner, engine.Options.LeaseDuration).Release();
        Dispatch(instanceId);
    }
}
