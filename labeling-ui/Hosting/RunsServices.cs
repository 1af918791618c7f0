using Alignment.LabelingUi.Features.Runs;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Queries;

namespace Alignment.LabelingUi.Hosting;

/// <summary>The runs dashboard's services: the read-only run queries and the launcher that runs and resumes instances in
/// the background of this process (over the engine of <see cref="WorkflowServices"/>).</summary>
internal static class RunsServices
{
    public static void Add(IServiceCollection services)
    {
        services.AddSingleton(sp => new RunQueries(sp.GetRequiredService<WorkflowEngine>(), sp.GetRequiredService<StageProgressBoard>()));
        services.AddSingleton<RunLauncher>();
    }
}
