using Alignment.Data.ImportExport;
using Alignment.Training.Datasets;
using Alignment.Workflows.Stages;

namespace Alignment.Workflows.Activities;

/// <summary>
/// The alignment pipeline's activities: <c>ActivityRegistry.CreateBuiltIn()</c> holds Elsa's flow activities and every
/// stage of this project, <c>ActivityRegistry.CreateDefault()</c> adds the plugins named by <c>ALIGN_PLUGINS</c>.
/// (Static extension members of the engine's <see cref="ActivityRegistry"/>, so callers keep writing
/// <c>ActivityRegistry.CreateDefault()</c>.) Dataset and import errors of the projects below the engine are declared
/// user-facing here: a stage failing with one reports its message alone.
/// </summary>
public static class BuiltInActivities
{
    extension(ActivityRegistry)
    {
        /// <summary>Built-in activities only.</summary>
        public static ActivityRegistry CreateBuiltIn() => new ActivityRegistry().RegisterFlow()
            .Register(new ImportDatasetActivity())
            .Register(new CreateComparisonsActivity())
            .Register(new CollectJudgmentsActivity())
            .Register(new ExportPreferencesActivity())
            .Register(new ImportModelActivity())
            .Register(new TrainTokenizerActivity())
            .Register(new CreateModelActivity())
            .Register(new GenerateResponsesActivity())
            .Register(new EvaluateActivity())
            .Register(new ExportModelActivity())
            .Register(new ImportAdapterActivity())
            .Register(new SftActivity())
            .Register(new UpftActivity())
            .Register(new TrainRewardModelActivity())
            .Register(new DpoActivity())
            .Register(new KtoActivity())
            .Register(new PpoActivity())
            .Register(new GrpoActivity())
            .Register(new RlooActivity())
            .Register(new OnlineDpoActivity())
            .Register(new BestOfNActivity())
            .TreatAsUserFacing<DatasetException>()
            .TreatAsUserFacing<ImportException>();

        /// <summary>Built-in activities plus those of the assemblies named by <c>ALIGN_PLUGINS</c>.</summary>
        public static ActivityRegistry CreateDefault() => ActivityRegistry.CreateBuiltIn().RegisterPlugins();
    }
}
