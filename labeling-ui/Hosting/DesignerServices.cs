using Alignment.LabelingUi.Features.Workflows;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Validation;

namespace Alignment.LabelingUi.Hosting;

/// <summary>
/// The workflow designer's services: the definitions repository and library, the validator, the run starter, and the
/// workflows API's auth policy (the registry and engine come from <see cref="WorkflowServices"/>).
/// </summary>
internal static class DesignerServices
{
    public static void Add(IServiceCollection services)
    {
        services.AddSingleton(sp => new DefinitionRepository(sp.GetRequiredService<Data.Store.AlignStore>()));
        services.AddSingleton(sp => new WorkflowValidator(sp.GetRequiredService<ActivityRegistry>(), sp.GetRequiredService<WorkflowEngine>().Artifacts));
        services.AddSingleton<DefinitionLibrary>();
        services.AddSingleton<WorkflowRunLauncher>();
        WorkflowsAuth.Add(services);
    }
}
