using System.CommandLine;
using System.Net.Sockets;
using Alignment.Data.Annotators;
using Alignment.Data.Store;
using Alignment.LabelingUi.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Alignment.Cli.Commands.Labeling;

/// <summary>`align serve [--port N] [--host ADDR] [--behind-proxy [--proxy ADDR]...] [--home DIR] [--store URL]`: the labeling web app and REST API, until Ctrl+C.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port")
        {
            Description = "Port to listen on (0 picks a free one).",
            DefaultValueFactory = _ => LabelingAppOptions.DefaultPort,
            HelpName = "N",
        };
        port.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 65535)
                r.AddError("--port must be between 0 and 65535.");
        });
        var host = new Option<string>("--host")
        {
            Description = "Address to listen on. The default, 127.0.0.1, is reachable from this machine only; 0.0.0.0 opens it to the network " +
                          "(put it behind a TLS proxy then: tokens and cookies travel in clear over plain http).",
            DefaultValueFactory = _ => "127.0.0.1",
            HelpName = "ADDR",
        };
        var behindProxy = new Option<bool>("--behind-proxy")
        {
            Description = "Run behind a reverse proxy (TLS terminated there): take the client address and scheme from its X-Forwarded-For " +
                          "and X-Forwarded-Proto headers, so the sign-in cookie is Secure and rate limits count real clients. " +
                          "Only the proxies in --proxy are trusted (default: loopback).",
        };
        var proxies = new Option<string[]>("--proxy")
        {
            Description = "With --behind-proxy: the address (10.0.0.5) or network (10.0.0.0/24) of a trusted proxy; repeat it for several. " +
                          "Default: loopback (127.0.0.0/8 and ::1).",
            HelpName = "ADDR",
        };
        proxies.Validators.Add(r =>
        {
            foreach (var text in r.GetValueOrDefault<string[]>() ?? [])
            {
                if (!ProxyHeaders.TryParse(text, out _))
                    r.AddError($"--proxy '{text}' is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24).");
            }
        });
        var home = LabelingCommands.HomeOption();
        var storeOption = LabelingCommands.StoreOption();
        var command = new Command("serve",
            "Run the labeling web app (annotators label pairs; admins manage projects, people, agreement, leaderboard) and its REST API " +
            "under /api, until Ctrl+C.")
        {
            port, host, behindProxy, proxies, home, storeOption,
        };
        command.Validators.Add(r =>
        {
            if ((r.GetValue(proxies) ?? []).Length > 0 && !r.GetValue(behindProxy))
                r.AddError("--proxy needs --behind-proxy (without it the forwarded headers are ignored).");
        });
        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                await using var app = LabelingApp.Create(new LabelingAppOptions
                {
                    Home = parse.GetValue(home), Store = parse.GetValue(storeOption), Port = parse.GetValue(port), Host = parse.GetValue(host)!, Quiet = true,
                    BehindProxy = parse.GetValue(behindProxy),
                    Proxies = (parse.GetValue(proxies) ?? []).Select(p => ProxyHeaders.TryParse(p, out var n) ? n : throw new FormatException(p)).ToList(),
                });
                await app.StartAsync(cancellation);
                var settings = app.Services.GetRequiredService<LabelingSettings>();
                output.WriteLine($"Labeling UI: {app.ListeningUrl()}/  (REST API under /api)");
                output.WriteLine($"Home: {settings.Home}");
                output.WriteLine($"Store: {app.Services.GetRequiredService<AlignStore>().DatabasePath}");
                if (parse.GetValue(behindProxy))
                    output.WriteLine($"Behind a proxy: X-Forwarded-For/Proto trusted from {((parse.GetValue(proxies) ?? []) is { Length: > 0 } list ? string.Join(", ", list) : "loopback")}.");
                if (app.Services.GetRequiredService<AnnotatorService>().List().Count == 0)
                    output.WriteLine("No accounts yet: create the first admin with `align annotators add NAME --role admin` (it prints the login token).");
                output.WriteLine("Press Ctrl+C to stop.");
                await app.WaitForShutdownAsync(cancellation);
                return ExitCodes.Ok;
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Ok;
            }
            catch (IOException e) when (e.InnerException is SocketException or AddressInUseException || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                error.WriteLine($"error: cannot listen on {parse.GetValue(host)}:{parse.GetValue(port)}: {e.Message} Pick another port with --port N.");
                return ExitCodes.Failure;
            }
            catch (Exception e) when (e is SchemaTooNewException or StoreLocationException or StoreFileException)
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }
}
