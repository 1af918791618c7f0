using System.Text;
using System.Text.Json;
using Alignment.Data.ImportExport;
using Alignment.Data.Projects;

namespace Alignment.LabelingUi.Tests.EndToEnd;

/// <summary>Realistic pairs (markdown, code) for the browser tests; model names are secrets the annotator must never see.</summary>
public static class E2eData
{
    public const string ModelA = "policy-v2-secret";
    public const string ModelB = "policy-v1-secret";

    private static readonly string[] Topics = ["reverse a list", "read a file line by line", "sort a dictionary by value", "remove duplicates from a list",
        "merge two dictionaries", "count words in a string", "flatten a nested list", "check if a key exists", "format a float to two decimals",
        "get the current date", "join paths safely", "parse JSON"];

    public static string PairsJsonl()
    {
        var text = new StringBuilder();
        for (var i = 0; i < Topics.Length; i++)
        {
            var topic = Topics[i];
            var prompt = $"How do I **{topic}** in Python? (question {i + 1})\n\nPlease keep it short and show code.";
            var a = $"Here is the idiomatic way to {topic}:\n\n```python\n# {topic}\nresult = solve(data)  # step {i}\nprint(result)\n```\n\n" +
                    "- works on Python 3.8+\n- runs in linear time\n\nThis keeps the original data unchanged.";
            var b = $"You can {topic} with a loop:\n\n```python\nout = []\nfor x in data:\n    out.append(x)  # step {i}\n```\n\n" +
                    "It is longer, but it shows every step. Note that this changes the original data.";
            if (i == 0)   // hostile markup in an answer must be neither run nor kept by the markdown renderer
                b += "\n\n<img src=\"x\" onerror=\"window.__pwned = 1\"><script>window.__pwned = 2</script>";
            text.Append(JsonSerializer.Serialize(new { prompt, response_a = a, response_b = b, model_a = ModelA, model_b = ModelB })).Append('\n');
        }
        return text.ToString();
    }

    public static Project Project(BrowserSession session, int overlap = 1)
    {
        var project = session.Service<ProjectService>().Create(new ProjectSettings("python-answers",
            "## What to prefer\n\n1. **Correct** code first.\n2. Then *clear* and short.\n3. Unsafe or wrong answers: press **4** (both bad) when neither is acceptable.",
            overlap, GoldRate: 0));
        using var content = new MemoryStream(Encoding.UTF8.GetBytes(PairsJsonl()));
        session.Service<ImportService>().Import(project.Id, ImportKind.Pairs, content, "python-pairs.jsonl");
        return project;
    }
}
