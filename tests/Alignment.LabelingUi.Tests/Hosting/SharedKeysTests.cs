using Alignment.Data.Store;
using Alignment.Data.Tests;
using Alignment.LabelingUi.Hosting;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Alignment.LabelingUi.Tests.Hosting;

// Two `align serve` processes with their own home folders on one store: what one signs (sign-in and antiforgery
// cookies are Data Protection payloads of the app's name), the other reads, because the key ring is in the store.
public sealed class SharedKeysTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("align-ui-keys-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static void AssertSharedKeys(string home1, string home2, string store)
    {
        using var first = LabelingApp.Create(new LabelingAppOptions { Home = home1, Store = store, Port = 0, Quiet = true });
        using var second = LabelingApp.Create(new LabelingAppOptions { Home = home2, Store = store, Port = 0, Quiet = true });
        const string purpose = "Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware";

        var cookie = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(purpose).Protect("signed in as alice");

        Assert.Equal("signed in as alice", second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(purpose).Unprotect(cookie));
        var ring = second.Services.GetRequiredService<AlignStore>().Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM data_protection_keys"));
        Assert.Equal(1L, ring);
        Assert.False(Directory.Exists(Path.Combine(home1, "keys")));
    }

    [Fact]
    public void Two_servers_on_one_sqlite_store_read_each_others_cookies()
    {
        AssertSharedKeys(Path.Combine(_root, "a"), Path.Combine(_root, "b"), "sqlite:" + Path.Combine(_root, "shared", "align.db"));
    }

    [PostgresFact]
    public void Two_servers_on_one_postgresql_store_read_each_others_cookies()
    {
        using var db = new PostgresTestDatabase();
        AssertSharedKeys(Path.Combine(_root, "a"), Path.Combine(_root, "b"), db.Url);
    }

    [Fact]
    public void Keys_an_older_build_left_in_the_home_folder_move_into_the_store_so_old_cookies_still_work()
    {
        var home = Path.Combine(_root, "old");
        string cookie;
        {
            // What builds before the store did: the key ring in <home>/keys.
            var services = new ServiceCollection();
            services.AddDataProtection().SetApplicationName("Alignment.LabelingUi").PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(home, "keys")));
            using var provider = services.BuildServiceProvider();
            cookie = provider.GetRequiredService<IDataProtectionProvider>().CreateProtector("p").Protect("old session");
        }

        using var app = LabelingApp.Create(new LabelingAppOptions { Home = home, Port = 0, Quiet = true });

        Assert.Equal("old session", app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("p").Unprotect(cookie));
    }
}
