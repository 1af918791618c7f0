using System.Text.Json;
using Alignment.Cli.Commands;

namespace Alignment.Cli.Tests;

// `align logprobs` on a fixture model, against the independent PyTorch reference's log-probs (tolerance 1e-4), and its
// errors for bad input (file:line, ids outside the vocabulary), which never leave an output file behind.
public sealed class LogprobsCommandTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity");
    private static readonly string Model = Path.Combine(Fixtures, "llama3_rope");   // vocab_size 40
    private readonly string dir = Path.Combine(Path.GetTempPath(), "align-cli-" + Guid.NewGuid().ToString("N"));

    public LogprobsCommandTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Input(params string[] lines)
    {
        string path = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    private string Output => Path.Combine(dir, "out.jsonl");

    [Fact]
    public void Each_line_gets_null_then_the_reference_log_prob_of_every_later_token()
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "expected.json")));
        var sequences = expected.RootElement.GetProperty("sequences").EnumerateArray()
                               .Select(s => "[" + string.Join(", ", s.EnumerateArray().Select(x => x.GetInt64())) + "]").ToList();
        var reference = expected.RootElement.GetProperty("models").GetProperty("llama3_rope").GetProperty("logprobs").EnumerateArray().ToList();
        var lines = sequences.Select(s => $"{{\"ids\": {s}}}").Concat(["{\"ids\": [7]}", "{\"ids\": [], \"note\": \"extra keys are ignored\"}"]).ToArray();

        var r = CliRunner.Run("logprobs", "--model", Model, "--input", Input(lines), "--output", Output, "--batch-size", "2");

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("scored 5 sequences", r.Out);
        var got = File.ReadAllLines(Output);
        Assert.Equal(lines.Length, got.Length);
        for (int i = 0; i < sequences.Count; i++)
        {
            var values = JsonDocument.Parse(got[i]).RootElement.GetProperty("logprobs").EnumerateArray().ToList();
            var want = reference[i].EnumerateArray().ToList();
            Assert.Equal(want.Count, values.Count);
            Assert.Equal(JsonValueKind.Null, values[0].ValueKind);
            for (int j = 1; j < want.Count; j++)
                Assert.True(Math.Abs(values[j].GetDouble() - want[j].GetDouble()) <= 1e-4, $"line {i + 1} token {j}");
        }
        Assert.Equal("{\"logprobs\":[null]}", got[3]);
        Assert.Equal("{\"logprobs\":[]}", got[4]);
    }

    [Theory]
    [InlineData("{\"ids\": [1, 2]}\n{\"ids\": [1, 2", "in.jsonl:2: not valid JSON")]
    [InlineData("{\"ids\": [1, 2]}\n\n{\"ids\": [3]}", "in.jsonl:2: empty line")]
    [InlineData("{\"tokens\": [1, 2]}", "in.jsonl:1: expected an object with an \"ids\" array")]
    [InlineData("{\"ids\": [1, 2.5]}", "in.jsonl:1: ids[1] is 2.5, not a whole number")]
    [InlineData("{\"ids\": [3, 4]}\n{\"ids\": [1, 40, 2]}", "in.jsonl:2: ids[1] = 40 is outside the vocabulary [0, 40)")]
    [InlineData("{\"ids\": [-1]}", "in.jsonl:1: ids[0] = -1 is outside the vocabulary")]
    public void Bad_input_names_the_file_and_line_and_writes_nothing(string content, string message)
    {
        string input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, content);

        var r = CliRunner.Run("logprobs", "--model", Model, "--input", input, "--output", Output);

        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains(message, r.Error);
        Assert.False(File.Exists(Output));
        Assert.Single(Directory.GetFiles(dir));   // no temporary file either
    }

    [Fact]
    public void A_folder_that_is_not_a_model_is_a_clear_error()
    {
        var r = CliRunner.Run("logprobs", "--model", dir, "--input", Input("{\"ids\": [1]}"), "--output", Output);

        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains("config.json: not found", r.Error);
        Assert.False(File.Exists(Output));
    }

    [Fact]
    public void Missing_required_options_are_a_usage_error()
    {
        var r = CliRunner.Run("logprobs", "--model", Model);
        Assert.Equal(ExitCodes.ParseError, r.ExitCode);
        Assert.Contains("--input", r.Error);
    }
}
