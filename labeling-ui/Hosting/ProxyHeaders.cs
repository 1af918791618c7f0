using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Alignment.LabelingUi.Hosting;

/// <summary>
/// <c>align serve --behind-proxy</c>: the client address and scheme come from the X-Forwarded-For and X-Forwarded-Proto
/// headers, trusted only from the known proxies (loopback by default, or the <c>--proxy</c> list). So the sign-in cookie
/// is Secure behind a TLS proxy, and rate limits count the real client, not the proxy. Without the option the headers
/// are ignored (anyone could send them).
/// </summary>
public static class ProxyHeaders
{
    /// <summary>The forwarded-headers options for the proxies (empty: loopback, the middleware's default).</summary>
    public static ForwardedHeadersOptions Options(IReadOnlyList<IPNetwork> proxies)
    {
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto };
        if (proxies.Count > 0)
        {
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var proxy in proxies)
                options.KnownIPNetworks.Add(proxy);
        }
        return options;
    }

    /// <summary>Parses a <c>--proxy</c> value: an address (<c>10.0.0.5</c>, <c>::1</c>) or a network (<c>10.0.0.0/8</c>).</summary>
    public static bool TryParse(string text, out IPNetwork network)
    {
        text = text.Trim();
        if (IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return IPNetwork.TryParse(text, out network);
    }
}
