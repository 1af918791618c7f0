using System.Reflection;
using Alignment.Data.Tests;
using Xunit.Sdk;

namespace Alignment.Workflows.Tests;

/// <summary>
/// Theory data naming the PostgreSQL provider ("postgresql"), skipped as <see cref="PostgresFactAttribute"/> is when the
/// test server is missing; beside <c>[InlineData("sqlite")]</c> it runs a case on both providers.
/// </summary>
public sealed class PostgresDataAttribute : DataAttribute
{
    public PostgresDataAttribute()
    {
        if (PostgresFactAttribute.Url is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Skip = $"{PostgresFactAttribute.Variable} is not set: the PostgreSQL cases are skipped outside CI (`bash .ci/run` starts a cluster and sets it)";
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [["postgresql"]];
}
