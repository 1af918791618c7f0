using Alignment.Data.Store;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Queries;

namespace Alignment.LabelingUi.Hosting;

/// <summary>
/// What the designer and the runs dashboard share: the activity registry (the built-in activities plus
/// <c>ALIGN_PLUGINS</c>, as the CLI loads them), the progress board stages report to, and one workflow engine over the
/// app's home folder with that board as its observer.
/// </summary>
internal static class WorkflowServices
{
    public static void Add(IServiceCollection services)
    {
        services.AddSingleton(_ => ActivityRegistry.CreateDefault());
        services.AddSingleton<StageProgressBoard>();
        services.AddSingleton(sp => new WorkflowEngine(
            sp.GetRequiredService<LabelingSettings>().Home,
            sp.GetRequiredService<ActivityRegistry>(),
            new WorkflowEngineOptions { Observer = sp.GetRequiredService<StageProgressBoard>() },
            sp.GetRequiredService<AlignStore>().Clock));
    }
}
