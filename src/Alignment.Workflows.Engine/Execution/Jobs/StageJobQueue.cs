using Alignment.Data.Store;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;

namespace Alignment.Workflows.Execution.Jobs;

/// <summary>
/// The job engine that hands stages to <c>align worker</c> processes: Hangfire with its PostgreSQL storage, in schema
/// <c>hangfire</c> of the store's own database (created by Hangfire.PostgreSql on first use). A worker that stops
/// answering (killed, machine gone) stops refreshing its jobs (sliding invisibility timeout); once
/// <see cref="WorkflowEngineOptions.TakeoverAfter"/> has passed, another worker fetches the job again and takes the
/// stage over. Only PostgreSQL stores can have workers.
/// </summary>
public sealed class StageJobQueue
{
    /// <summary>The database schema Hangfire's tables live in.</summary>
    public const string Schema = "hangfire";

    private readonly PostgreSqlStorage _storage;
    private readonly BackgroundJobClient _client;

    public StageJobQueue(AlignStore store, TimeSpan takeoverAfter)
    {
        if (store.Provider != StoreProvider.PostgreSql)
            throw new WorkflowException($"stages run on `align worker` processes only with a PostgreSQL store (--store postgresql://USER@HOST:PORT/DATABASE, " +
                                        $"or ALIGN_STORE); {store.Location.Display} is SQLite");
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = Schema,
            PrepareSchemaIfNecessary = true,
            UseSlidingInvisibilityTimeout = true,
            InvisibilityTimeout = takeoverAfter,
            QueuePollInterval = TimeSpan.FromMilliseconds(500),
        };
        _storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(store.Location.Target, options), options);
        _client = new BackgroundJobClient(_storage);
    }

    /// <summary>Queues the job that runs <paramref name="activityId"/> of an instance; <paramref name="token"/> is the one its dispatch recorded.</summary>
    public void Enqueue(string instanceId, string activityId, string token) =>
        _client.Enqueue<StageJob>(job => job.RunAsync(instanceId, activityId, token, CancellationToken.None));

    /// <summary>Starts fetching and running stage jobs with <paramref name="slots"/> at a time, through <paramref name="engine"/>.</summary>
    public BackgroundJobServer StartServer(WorkflowEngine engine, int slots) => new(new BackgroundJobServerOptions
    {
        WorkerCount = slots,
        Activator = new StageJobActivator(engine),
        SchedulePollingInterval = TimeSpan.FromSeconds(1),
    }, _storage);

    /// <summary>Builds <see cref="StageJob"/>s over the worker's engine.</summary>
    private sealed class StageJobActivator(WorkflowEngine engine) : JobActivator
    {
        public override object ActivateJob(Type jobType) => jobType == typeof(StageJob) ? new StageJob(engine) : base.ActivateJob(jobType);
    }
}
