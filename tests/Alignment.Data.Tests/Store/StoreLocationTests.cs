using Alignment.Data.Store;
using Npgsql;

namespace Alignment.Data.Tests.Store;

public sealed class StoreLocationTests
{
    [Fact]
    public void A_postgresql_url_becomes_an_npgsql_connection_string_and_a_display_without_the_password()
    {
        var location = StoreLocation.Parse("postgresql://alice:s3cr%40t@db.example:6543/align?sslmode=require&application_name=align-serve");

        Assert.Equal(StoreProvider.PostgreSql, location.Provider);
        var builder = new NpgsqlConnectionStringBuilder(location.Target);
        Assert.Equal(("db.example", 6543, "align", "alice", "s3cr@t"), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password));
        Assert.Equal((SslMode.Require, "align-serve"), (builder.SslMode, builder.ApplicationName));
        Assert.Equal("postgresql://alice:***@db.example:6543/align?sslmode=require&application_name=align-serve", location.Display);
    }

    [Fact]
    public void The_port_defaults_to_5432_and_postgres_is_accepted_as_the_scheme()
    {
        var builder = new NpgsqlConnectionStringBuilder(StoreLocation.Parse("postgres://bob@localhost/labels").Target);
        Assert.Equal(("localhost", 5432, "labels", "bob", null), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password));
    }

    [Fact]
    public void A_sqlite_location_is_a_full_path()
    {
        var location = StoreLocation.Parse("sqlite:some/dir/align.db");
        Assert.Equal(StoreProvider.Sqlite, location.Provider);
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "some", "dir", "align.db"), location.Target);
    }

    [Theory]
    [InlineData("mysql://u@h/db", "'mysql://u@h/db' is neither sqlite:PATH nor a postgresql://")]
    [InlineData("sqlite:", "names no file")]
    [InlineData("", "is empty")]
    [InlineData("postgresql://h:5432/db", "names no user")]
    [InlineData("postgresql://u:pw@h:5432", "'postgresql://u:***@h:5432' names no database")]
    [InlineData("postgresql://u:pw@h/db?sslmod=require", "has the unknown parameter 'sslmod'")]
    [InlineData("postgresql://u@h/db?sslmode=sometimes", "has an invalid sslmode 'sometimes'")]
    [InlineData("postgresql://u:pw@h:99999/db", "is not a valid URL")]
    public void A_bad_location_is_refused_naming_it_without_its_password(string text, string expected)
    {
        var error = Assert.Throws<StoreLocationException>(() => StoreLocation.Parse(text));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain(":pw@", error.Message);
    }
}
