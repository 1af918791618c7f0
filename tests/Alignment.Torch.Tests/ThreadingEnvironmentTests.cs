using Alignment.Torch;

namespace Alignment.Torch.Tests;

public class ThreadingEnvironmentTests
{
    [Fact]
    public void Loading_libtorch_makes_openmp_wait_passively_unless_the_user_chose()
    {
        // .NET's Environment is the process's start-up environment on Unix; torch.omp_wait_policy reads the native one
        // (what libgomp read when libtorch was loaded).
        string? startPolicy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        string? startSpin = Environment.GetEnvironmentVariable("GOMP_SPINCOUNT");
        using (torch.NewDisposeScope()) _ = torch.ones(new long[] { 2 }).sum();

        if (startPolicy is not null) Assert.Equal(startPolicy, torch.omp_wait_policy);
        else if (startSpin is not null) Assert.Null(torch.omp_wait_policy);
        else Assert.Equal("PASSIVE", torch.omp_wait_policy);
    }
}
