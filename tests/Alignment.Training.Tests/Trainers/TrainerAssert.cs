using Alignment.Torch.IO;

namespace Alignment.Training.Tests.Trainers;

internal static class TrainerAssert
{
    /// <summary>Every tensor of every safetensors file in a folder, as float64 arrays by "file/name".</summary>
    public static Dictionary<string, double[]> Weights(string folder)
    {
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(folder, "*.safetensors").Where(f => !f.EndsWith("optimizer.safetensors") && !Path.GetFileName(f).StartsWith("ref_logps")))
        {
            var (tensors, _) = Safetensors.Load(file, ScalarType.Float64);
            foreach (var (name, t) in tensors)
            {
                result[$"{Path.GetFileName(file)}/{name}"] = t.data<double>();
                t.Dispose();
            }
        }
        Assert.NotEmpty(result);
        return result;
    }

    public static void BitIdentical(Dictionary<string, double[]> expected, Dictionary<string, double[]> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, values) in expected)
            Assert.True(values.AsSpan().SequenceEqual(actual[name]), $"{name} differs");
    }

    public static double MaxAbsDifference(Dictionary<string, double[]> a, Dictionary<string, double[]> b)
    {
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        double max = 0;
        foreach (var (name, values) in a)
            for (int i = 0; i < values.Length; i++) max = Math.Max(max, Math.Abs(values[i] - b[name][i]));
        return max;
    }
}
