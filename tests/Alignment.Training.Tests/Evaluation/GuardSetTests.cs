using System.Text.RegularExpressions;
using Alignment.Training.Datasets;

namespace Alignment.Training.Tests.Evaluation;

// The shipped general-ability guard set (data/guard/guard.jsonl) and the reader of {"prompt", "reference"} rows.
public class GuardSetTests
{
    private static string GuardFile
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alignment.sln"))) dir = dir.Parent;
            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Alignment.sln not found above the test folder"), "data", "guard", "guard.jsonl");
        }
    }

    [Fact]
    public void Shipped_guard_set_has_distinct_prompts_with_short_references_and_no_arithmetic()
    {
        var rows = DatasetReader.ReadReferenced(GuardFile);
        Assert.Equal(61, rows.Count);
        Assert.Equal(rows.Count, rows.Select(r => r.Prompt.Text).Distinct().Count());
        var arithmetic = new Regex(@"\d\s*[-+*/×÷=]\s*\d|\b(add|sum|plus|minus|times|multiply|divide)\b", RegexOptions.IgnoreCase);
        foreach (var r in rows)
        {
            Assert.False(arithmetic.IsMatch(r.Prompt.Text!), $"line {r.Line}: arithmetic in the prompt: {r.Prompt.Text}");
            Assert.InRange(r.Reference.Length, 5, 200);
            Assert.Equal(r.Reference, r.ToSft().Completion!.Text);
        }
    }

    [Fact]
    public void A_row_without_a_reference_names_the_file_line_and_field()
    {
        string path = Path.Combine(Path.GetTempPath(), $"guard-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, ["{\"prompt\": \"a\", \"reference\": \"b\"}", "{\"prompt\": \"c\"}"]);
        try
        {
            var e = Assert.Throws<DatasetException>(() => DatasetReader.ReadReferenced(path));
            Assert.Equal($"{path}:2: field \"reference\" is missing", e.Message);
        }
        finally { File.Delete(path); }
    }
}
