using Alignment.Training.Metrics;

namespace Alignment.Training.Tests;

public sealed class MetricsWriterTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("align-metrics-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private static KeyValuePair<string, double>[] Row(long step, double loss) =>
        new[] { new KeyValuePair<string, double>("step", step), new("epoch", step / 10.0), new("loss", loss), new("rewards/margins", double.NaN) };

    [Fact]
    public void Writes_one_json_object_per_line_with_nan_as_null()
    {
        string path = Path.Combine(dir, "metrics.jsonl");
        using (var w = MetricsWriter.Open(path))
        {
            w.Log(Row(1, 0.5));
            w.Log(Row(2, 0.25));
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal("{\"step\":1,\"epoch\":0.1,\"loss\":0.5,\"rewards/margins\":null}", lines[0]);
        var rows = MetricsWriter.Read(path);
        Assert.Equal(2, rows.Count);
        Assert.Equal(0.25, rows[1]["loss"]);
        Assert.Null(rows[1]["rewards/margins"]);
    }

    [Fact]
    public void Resume_drops_lines_after_the_checkpoint_and_a_torn_last_line()
    {
        string path = Path.Combine(dir, "metrics.jsonl");
        using (var w = MetricsWriter.Open(path))
            for (int s = 1; s <= 5; s++) w.Log(Row(s, 1.0 / s));
        File.AppendAllText(path, "{\"step\":6,\"lo");   // killed mid-line
        using (var w = MetricsWriter.Open(path, resumeFromStep: 3))
            w.Log(Row(4, 9));
        var steps = MetricsWriter.Read(path).Select(r => r["step"]).ToArray();
        Assert.Equal(new double?[] { 1, 2, 3, 4 }, steps);
        Assert.Equal(9, MetricsWriter.Read(path)[3]["loss"]);
    }
}
