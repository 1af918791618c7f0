using Alignment.Data.Annotators;
using Alignment.Data.ImportExport;
using Alignment.Data.Labeling;
using Alignment.Data.Projects;
using Alignment.Data.Reports;
using Alignment.Data.Review;

namespace Alignment.LabelingUi.Hosting;

/// <summary>The store's services as singletons (each is thread-safe: every call opens its own pooled connection).</summary>
internal static class StoreServices
{
    public static void Add(IServiceCollection services)
    {
        services.AddSingleton<ProjectService>();
        services.AddSingleton<ProjectMembers>();
        services.AddSingleton<AnnotatorService>();
        services.AddSingleton(sp => new QueueService(sp.GetRequiredService<Data.Store.AlignStore>()));
        services.AddSingleton<ImportService>();
        services.AddSingleton<PairingService>();
        services.AddSingleton<PreferenceExporter>();
        services.AddSingleton<JudgmentCsvExporter>();
        services.AddSingleton<AgreementService>();
        services.AddSingleton<LeaderboardService>();
        services.AddSingleton<AdjudicationService>();
        services.AddSingleton<ActivityQueries>();
    }
}
