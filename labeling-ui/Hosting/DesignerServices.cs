using Alignment.LabelingUi.Features.Workflows;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Validation;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Alignment.LabelingUi.Hosting;

/// <summary>
/// The workflow designer's services: the activity registry (built-in activities plus <c>ALIGN_PLUGINS</c>), the engine on
/// the app's home folder, the definitions repository and library, the validator, the run launcher, and the workflows
/// API's auth policy. The engine and registry are added only when no other feature registered them first.
/// </summary>
internal static class DesignerServices
{
    public static void Add(IServiceCollection services)
    {
        services.TryAddSingleton(_ => ActivityRegistry.CreateDefault());
        services.TryAddSingleton(sp => new WorkflowEngine(sp.GetRequiredService<LabelingSettings>().Home, sp.GetRequiredService<ActivityRegistry>(),
            clock: sp.GetService<TimeProvider>()));
        services.AddSingleton(sp => new DefinitionRepository(sp.GetRequiredService<Data.Store.AlignStore>()));
        services.AddSingleton(sp => new WorkflowValidator(sp.GetRequiredService<ActivityRegistry>(), sp.GetRequiredService<WorkflowEngine>().Artifacts));
        services.AddSingleton<DefinitionLibrary>();
        services.AddSingleton<WorkflowRunLauncher>();
        WorkflowsAuth.Add(services);
    }
}
