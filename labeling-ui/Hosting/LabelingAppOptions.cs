namespace Alignment.LabelingUi.Hosting;

/// <summary>How <see cref="LabelingApp.Create(LabelingAppOptions)"/> builds the web app.</summary>
public sealed record LabelingAppOptions
{
    /// <summary>The home folder holding <c>align.db</c>; null means <c>$ALIGN_HOME</c> or <c>./.align</c>.</summary>
    public string? Home { get; init; }

    /// <summary>The store (<c>postgresql://...</c> or <c>sqlite:PATH</c>); null means <c>ALIGN_STORE</c>, else <c>align.db</c> in <see cref="Home"/>.</summary>
    public string? Store { get; init; }

    /// <summary>The address to listen on; loopback by default, so the app is not reachable from other machines.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 picks a free one (read it back from <see cref="LabelingApp.ListeningUrl"/>).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>Logs warnings and errors only (no request log), e.g. for benchmarks and tests.</summary>
    public bool Quiet { get; init; }

    /// <summary>The clock for leases and timestamps; null is the system clock (tests pass a manual one).</summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>
    /// Runs behind a reverse proxy: X-Forwarded-For and X-Forwarded-Proto from <see cref="Proxies"/> set the client address
    /// and scheme (so cookies are Secure when the proxy speaks https). Off by default: the headers are ignored.
    /// </summary>
    public bool BehindProxy { get; init; }

    /// <summary>The proxies trusted with <see cref="BehindProxy"/>; empty means loopback (127.0.0.0/8 and ::1).</summary>
    public IReadOnlyList<System.Net.IPNetwork> Proxies { get; init; } = [];

    /// <summary>Extra host arguments (configuration overrides such as <c>--Align:Home=...</c>).</summary>
    public string[] Args { get; init; } = [];

    /// <summary>The default port of <c>align serve</c>.</summary>
    public const int DefaultPort = 5080;
}
