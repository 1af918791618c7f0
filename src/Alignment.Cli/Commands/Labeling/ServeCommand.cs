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

/// <summary>`align serve [--port N] [--host ADDR] [--home DIR]`: the labeling web app and REST API, until Ctrl+C.</summary>
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
        var home = LabelingCommands.HomeOption();
        var command = new Command("serve",
            "Run the labeling web app (annotators label pairs; admins manage projects, people, agreement, leaderboard) and its REST API " +
            "under /api, until Ctrl+C.")
        {
            port, host, home,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                await using var app = LabelingApp.Create(new LabelingAppOptions
                {
                    Home = parse.GetValue(home), Port = parse.GetValue(port), Host = parse.GetValue(host)!, Quiet = true,
                });
                await app.StartAsync(cancellation);
                var settings = app.Services.GetRequiredService<LabelingSettings>();
                output.WriteLine($"Labeling UI: {app.ListeningUrl()}/  (REST API under /api)");
                output.WriteLine($"Home: {settings.Home}");
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
            catch (SchemaTooNewException e)
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.Failure;
            }
        });
        return command;
    }
}
