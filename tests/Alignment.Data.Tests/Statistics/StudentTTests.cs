using Alignment.Data.Statistics;

namespace Alignment.Data.Tests.Statistics;

public sealed class StudentTTests
{
    [Theory]
    [InlineData(-30.0)]
    [InlineData(-1.5)]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(4.0)]
    [InlineData(250.0)]
    public void The_cdf_equals_the_closed_forms_for_one_and_two_degrees_of_freedom(double t)
    {
        // ν = 1 is the Cauchy distribution: F(t) = ½ + atan(t)/π. ν = 2: F(t) = ½ + t / (2·√(2 + t²)). Tolerance 1e-12 absolute.
        Assert.Equal(0.5 + Math.Atan(t) / Math.PI, StudentT.Cdf(t, 1), 1e-12);
        Assert.Equal(0.5 + t / (2 * Math.Sqrt(2 + t * t)), StudentT.Cdf(t, 2), 1e-12);
    }

    [Theory]
    // Published two-sided 95% (p = 0.975), 90% (p = 0.95) and 99% (p = 0.995) critical values of Student's t tables, 9 digits.
    [InlineData(0.975, 1, 12.7062047)]
    [InlineData(0.975, 2, 4.30265273)]
    [InlineData(0.975, 4, 2.77644511)]
    [InlineData(0.975, 5, 2.57058184)]
    [InlineData(0.975, 9, 2.26215716)]
    [InlineData(0.975, 30, 2.04227246)]
    [InlineData(0.975, 120, 1.97993041)]
    [InlineData(0.95, 5, 2.01504837)]
    [InlineData(0.995, 10, 3.16927267)]
    public void Quantiles_equal_the_published_table_values(double p, double df, double expected)
    {
        Assert.Equal(expected, StudentT.Quantile(p, df), 1e-7);
        Assert.Equal(-expected, StudentT.Quantile(1 - p, df), 1e-7);
    }

    [Fact]
    public void With_many_degrees_of_freedom_the_quantile_approaches_the_normal_one()
        => Assert.Equal(1.959963985, StudentT.Quantile(0.975, 1e7), 1e-6);

    [Fact]
    public void Log_gamma_matches_factorials_and_the_half_integer_value()
    {
        // Γ(n) = (n−1)!; Γ(½) = √π. Tolerance 1e-12 relative.
        Assert.Equal(Math.Log(24), StudentT.LogGamma(5), 1e-12);
        Assert.Equal(Math.Log(3628800), StudentT.LogGamma(11), 1e-11);
        Assert.Equal(0.5 * Math.Log(Math.PI), StudentT.LogGamma(0.5), 1e-12);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StudentT.Quantile(1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => StudentT.Cdf(1, 0));
    }
}
