using System.Text.Json;
using Alignment.Cli.Commands;
using Alignment.Torch;

namespace Alignment.Cli.Tests;

// `align doctor`: runs the real measurements in-process. No speed thresholds here: only shape and sanity.
public class DoctorCommandTests
{
    private static readonly string[] RequiredKeys = ["libtorch", "cuda", "threads", "matmul_gflops", "op_overhead_us"];

    [Fact]
    public void Doctor_json_is_one_object_with_the_required_keys_and_sane_values()
    {
        var r = CliRunner.Run("doctor", "--json");

        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);   // throws if stdout holds anything but one JSON value
        var root = doc.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        foreach (var key in RequiredKeys)
            Assert.True(root.TryGetProperty(key, out _), $"missing key '{key}' in {r.Out}");

        string libtorch = root.GetProperty("libtorch").GetString()!;
        Assert.True(libtorch.StartsWith("1.") || libtorch.StartsWith("2."), libtorch);
        Assert.Equal(torch.version, libtorch);
        Assert.Equal(torch.cuda.is_available(), root.GetProperty("cuda").GetBoolean());
        Assert.Equal(torch.cuda.device_count(), root.GetProperty("cuda_devices").GetInt32());
        int threads = root.GetProperty("threads").GetInt32();
        Assert.True(threads >= 1, $"threads = {threads}");
        Assert.Equal(torch.get_num_threads(), threads);
        Assert.True(root.GetProperty("matmul_gflops").GetDouble() > 0);
        Assert.True(root.GetProperty("op_overhead_us").GetDouble() > 0);

        string verdict = root.GetProperty("verdict").GetString()!;
        int warnings = root.GetProperty("warnings").GetArrayLength();
        Assert.Equal(warnings == 0 ? "ok" : "warn", verdict);
    }

    [Fact]
    public void Threads_option_sets_libtorch_threads_and_is_reported()
    {
        try
        {
            var r = CliRunner.Run("--threads", "1", "doctor", "--json");

            Assert.True(r.ExitCode == 0, r.Error);
            using var doc = JsonDocument.Parse(r.Out);
            Assert.Equal(1, doc.RootElement.GetProperty("threads").GetInt32());
            Assert.Equal("--threads", doc.RootElement.GetProperty("threads_source").GetString());
            Assert.Equal(1, torch.get_num_threads());
        }
        finally
        {
            torch.set_num_threads(Environment.ProcessorCount);
        }
    }

    [Fact]
    public void Doctor_table_shows_the_version_the_measurements_and_a_verdict()
    {
        var r = CliRunner.Run("doctor");

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains(torch.version, r.Out);
        Assert.Contains("GFLOP/s", r.Out);
        Assert.Contains("µs", r.Out);
        Assert.Matches(@"verdict: (OK|WARN)", r.Out);
        Assert.DoesNotContain("\u001b[", r.Out);   // captured output is not a terminal: no ANSI escapes
    }

    [Fact]
    public void Judge_accepts_fast_matmul_and_cheap_calls_on_all_cores()
    {
        var warnings = DoctorCommand.Judge(150, 2.5, "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so", 2, 2);
        Assert.Empty(warnings);
    }

    [Fact]
    public void Judge_warns_about_slow_matmul_and_costly_calls_at_the_thresholds()
    {
        var warnings = DoctorCommand.Judge(DoctorCommand.MinMatmulGflops - 0.1, DoctorCommand.MaxOpOverheadUs, "unknown", 4, 4);
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("GFLOP/s"));
        Assert.Contains(warnings, w => w.Contains("µs"));

        Assert.Empty(DoctorCommand.Judge(DoctorCommand.MinMatmulGflops, DoctorCommand.MaxOpOverheadUs - 0.01, "unknown", 4, 4));
    }

    [Fact]
    public void Judge_warns_about_the_reference_blas_and_a_thread_limit()
    {
        var blas = DoctorCommand.Judge(150, 2, "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0", 8, 8);
        Assert.Single(blas, w => w.Contains("reference BLAS"));

        var threads = DoctorCommand.Judge(150, 2, "unknown", 1, 8);
        Assert.Single(threads, w => w.Contains("1 of 8 cores"));
    }

    [Fact]
    public void Judge_warns_when_the_user_turned_openmp_spinning_back_on()
    {
        const string openblas = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so";
        Assert.Single(DoctorCommand.Judge(150, 2, openblas, 2, 2, "active"), w => w.Contains("OMP_WAIT_POLICY=ACTIVE"));
        Assert.Empty(DoctorCommand.Judge(150, 2, openblas, 2, 2, "PASSIVE"));
        Assert.Empty(DoctorCommand.Judge(150, 2, openblas, 2, 2, null));
    }
}
