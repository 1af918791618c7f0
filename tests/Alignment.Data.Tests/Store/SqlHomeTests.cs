using System.Text.RegularExpressions;

namespace Alignment.Data.Tests.Store;

/// <summary>
/// Every SQL statement on the labeling tables lives in src/Alignment.Data (as query methods of its services): the
/// C# and Razor sources of every other project are scanned for a statement that reads or writes one of them.
/// </summary>
public sealed partial class SqlHomeTests
{
    /// <summary>The tables of the labeling store (its migrations 0001 and 0002).</summary>
    private static readonly string[] LabelingTables =
        ["projects", "prompts", "responses", "comparisons", "annotators", "assignments", "judgments", "adjudications", "project_members"];

    [Fact]
    public void No_sql_on_labeling_tables_outside_the_data_project()
    {
        var root = RepoRoot();
        var offenders = new List<string>();
        foreach (var folder in new[] { Path.Combine(root, "src"), Path.Combine(root, "labeling-ui") })
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*.*", SearchOption.AllDirectories)
                         .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".razor", StringComparison.Ordinal)))
            {
                var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                if (relative.StartsWith("src/Alignment.Data/", StringComparison.Ordinal) || relative.Contains("/obj/") || relative.Contains("/bin/")
                    || relative.Contains("/node_modules/"))
                    continue;
                var lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                {
                    if (Statement().Match(lines[i]) is { Success: true } m && LabelingTables.Contains(m.Groups["table"].Value))
                        offenders.Add($"{relative}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }
        Assert.True(offenders.Count == 0, "SQL on labeling tables outside src/Alignment.Data:\n" + string.Join("\n", offenders));
    }

    [Theory]
    [InlineData("FROM judgments j JOIN annotators a ON a.id = j.annotator_id", true)]
    [InlineData("\"SELECT comparison_id FROM adjudications WHERE is_active = 1\"", true)]
    [InlineData("INSERT INTO assignments (project_id) VALUES (@p)", true)]
    [InlineData("UPDATE comparisons SET is_gold = 1", true)]
    [InlineData("/// Reads the votes from judgments the annotators gave.", false)]
    [InlineData("SELECT id FROM workflow_instances", false)]
    public void The_scan_recognizes_statements_not_prose(string line, bool sql)
    {
        var m = Statement().Match(line);
        Assert.Equal(sql, m.Success && LabelingTables.Contains(m.Groups["table"].Value));
    }

    // SQL keywords in upper case (the project's SQL style), followed by a table name.
    [GeneratedRegex(@"\b(?:FROM|JOIN|INTO|UPDATE)\s+(?<table>[a-z_]+)\b")]
    private static partial Regex Statement();

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alignment.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Alignment.sln not found above the test folder");
    }
}
