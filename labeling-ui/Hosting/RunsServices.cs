using Alignment.Data.Store;
using Alignment.LabelingUi.Features.Runs;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Queries;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Alignment.LabelingUi.Hosting;

/// <summary>
/// The runs dashboard's services: one workflow engine over the app's home folder (the built-in activities plus
/// <c>ALIGN_PLUGINS</c>, as the CLI loads them; shared with the designer), the progress board it reports to, the read-only run queries, and the
/// launcher that resumes instances in the background of this process.
/// </summary>
internal static class RunsServices
{
    public static void Add(IServiceCollection services)
    {
        services.AddSingleton<StageProgressBoard>();
        // The designer registers the same two with TryAdd: whichever feature is added first provides them.
        services.TryAddSingleton(_ => ActivityRegistry.CreateDefault());
        services.TryAddSingleton(sp => new WorkflowEngine(
            sp.GetRequiredService<LabelingSettings>().Home,
            sp.GetRequiredService<ActivityRegistry>(),
            new WorkflowEngineOptions { Observer = sp.GetRequiredService<StageProgressBoard>() },
            sp.GetRequiredService<AlignStore>().Clock));
        services.AddSingleton(sp => new RunQueries(sp.GetRequiredService<WorkflowEngine>(), sp.GetRequiredService<StageProgressBoard>()));
        services.AddSingleton<RunLauncher>();
    }
}
