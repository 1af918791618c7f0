namespace Alignment.LabelingUi.Features.Workflows;

/// <summary>
/// Finds the repository's shipped definitions (<c>workflows/*.json</c> next to <c>Alignment.sln</c>), looking up from the
/// current folder and from the app's own folder, so "Import shipped" works from <c>align serve</c> in a checkout, from
/// <c>dotnet run</c> and from the tests.
/// </summary>
public static class ShippedWorkflows
{
    /// <summary>The shipped definition files, by name; empty when no checkout is found.</summary>
    public static IReadOnlyList<string> Files()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var workflows = Path.Combine(folder.FullName, "workflows");
                if (File.Exists(Path.Combine(folder.FullName, "Alignment.sln")) && Directory.Exists(workflows))
                    return Directory.GetFiles(workflows, "*.json").Order(StringComparer.Ordinal).ToList();
            }
        }
        return [];
    }
}
