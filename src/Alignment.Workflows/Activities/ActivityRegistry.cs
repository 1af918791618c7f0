using System.Reflection;
using System.Runtime.Loader;
using Alignment.Workflows.Stages;
using Alignment.Workflows.Stages.Flow;

namespace Alignment.Workflows.Activities;

/// <summary>
/// The activity types this engine knows, by type name and version. <see cref="CreateDefault"/> holds the built-in
/// stages and Elsa's flow activities, plus the activities of the assemblies listed in the <c>ALIGN_PLUGINS</c>
/// environment variable (paths separated by ':'), so stages built outside this project (and test stages) plug in
/// without changing it: every public non-abstract <see cref="IActivity"/> with a parameterless constructor is registered.
/// </summary>
public sealed class ActivityRegistry
{
    /// <summary>The environment variable listing extra activity assemblies.</summary>
    public const string PluginsVariable = "ALIGN_PLUGINS";

    private readonly Dictionary<(string Type, int Version), IActivity> _byKey = new();

    /// <summary>Every registered activity, ordered by category, type and version.</summary>
    public IReadOnlyList<IActivity> All => _byKey.Values
        .OrderBy(a => a.Descriptor.Category, StringComparer.Ordinal).ThenBy(a => a.Descriptor.Type, StringComparer.Ordinal)
        .ThenBy(a => a.Descriptor.Version).ToList();

    /// <summary>Adds an activity type; throws when the same type and version is already registered.</summary>
    public ActivityRegistry Register(IActivity activity)
    {
        var key = (activity.Descriptor.Type, activity.Descriptor.Version);
        if (!_byKey.TryAdd(key, activity))
            throw new InvalidOperationException($"activity {key.Type} version {key.Version} is registered twice");
        return this;
    }

    /// <summary>The activity of this type and version, or null.</summary>
    public IActivity? Find(string type, int version) => _byKey.GetValueOrDefault((type, version));

    /// <summary>The registered versions of a type (empty when the type is unknown).</summary>
    public IReadOnlyList<int> VersionsOf(string type) => _byKey.Keys.Where(k => k.Type == type).Select(k => k.Version).Order().ToList();

    /// <summary>Built-in activities only.</summary>
    public static ActivityRegistry CreateBuiltIn() => new ActivityRegistry()
        .Register(new FlowDecisionActivity())
        .Register(new FlowForkActivity())
        .Register(new FlowJoinActivity())
        .Register(new SetVariableActivity())
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
        .Register(new TrainRewardModelActivity())
        .Register(new DpoActivity())
        .Register(new KtoActivity())
        .Register(new PpoActivity())
        .Register(new GrpoActivity())
        .Register(new RlooActivity())
        .Register(new BestOfNActivity());

    /// <summary>Built-in activities plus those of the assemblies named by <c>ALIGN_PLUGINS</c>.</summary>
    public static ActivityRegistry CreateDefault()
    {
        var registry = CreateBuiltIn();
        var plugins = Environment.GetEnvironmentVariable(PluginsVariable);
        if (string.IsNullOrWhiteSpace(plugins)) return registry;
        foreach (var path in plugins.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            registry.RegisterAssembly(LoadPlugin(path));
        return registry;
    }

    /// <summary>Registers every public activity type of <paramref name="assembly"/>.</summary>
    public ActivityRegistry RegisterAssembly(Assembly assembly)
    {
        Type[] types;
        try { types = assembly.GetExportedTypes(); }
        catch (ReflectionTypeLoadException e) { types = e.Types.OfType<Type>().ToArray(); }
        foreach (var type in types.Where(t => t is { IsAbstract: false, IsClass: true } && typeof(IActivity).IsAssignableFrom(t)
                                              && t.GetConstructor(Type.EmptyTypes) is not null))
            Register((IActivity)Activator.CreateInstance(type)!);
        return this;
    }

    private static Assembly LoadPlugin(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new WorkflowException($"{PluginsVariable}: plugin assembly {full} does not exist");
        var folder = Path.GetDirectoryName(full)!;
        // Shared assemblies (this one, Alignment.Data ...) resolve to the copies already loaded; the plugin's own
        // dependencies are looked up beside it.
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var candidate = Path.Combine(folder, name.Name + ".dll");
            return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        };
        return AssemblyLoadContext.Default.LoadFromAssemblyPath(full);
    }
}
