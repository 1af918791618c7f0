using System.Reflection;
using Alignment.Data.Store;
using Xunit.Sdk;

namespace Alignment.Data.Tests;

/// <summary>
/// The PostgreSQL row of a store theory (<c>[Theory, InlineData(StoreProvider.Sqlite), PostgresData]</c>): runs the
/// test with <see cref="StoreProvider.PostgreSql"/> on the server named by <c>ALIGN_TEST_POSTGRES</c>, skipped as
/// <see cref="PostgresFactAttribute"/> skips when the variable is missing outside CI.
/// </summary>
public sealed class PostgresDataAttribute : DataAttribute
{
    public PostgresDataAttribute()
    {
        Skip = PostgresFactAttribute.SkipReason;
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[StoreProvider.PostgreSql]];
}
