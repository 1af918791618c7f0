using Alignment.Cli;

namespace Alignment.Cli.Tests;

/// <summary>Runs `align` in-process with captured stdout and stderr.</summary>
internal static class CliRunner
{
    internal sealed record Result(int ExitCode, string Out, string Error);

    internal static Result Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = AlignApp.Run(args, output, error);
        return new Result(code, output.ToString(), error.ToString());
    }
}
