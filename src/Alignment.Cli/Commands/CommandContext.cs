using System.CommandLine;
using System.Text.Json;
using Alignment.Cli.Runtime;
using Spectre.Console;

namespace Alignment.Cli.Commands;

/// <summary>Process exit codes of `align`.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Unknown command, bad option value (reported by System.CommandLine with the help text).</summary>
    public const int ParseError = 1;
    /// <summary>The command ran and failed: bad input (a file, a config value, an environment setting), a file or folder that
    /// cannot be read or written, a libtorch error. One "error: ..." line names the file (and line and field).</summary>
    public const int Failure = 2;
    /// <summary>The native bridge or libtorch could not be loaded: run the setup script.</summary>
    public const int NativeLibraryMissing = 3;
    /// <summary>An unexpected exception: a bug in align (its stack trace is printed).</summary>
    public const int InternalError = 70;
}

/// <summary>What a command body gets: its parse result, writers, a Spectre console over stdout, and the thread setting.</summary>
public sealed class CommandContext
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    private CommandContext(ParseResult parse, int threads, ThreadSource threadSource)
    {
        Parse = parse;
        Out = parse.InvocationConfiguration.Output;
        Error = parse.InvocationConfiguration.Error;
        // Colors and spinners only on a real terminal: redirected or captured output stays plain text.
        bool terminal = ReferenceEquals(Out, System.Console.Out) && !System.Console.IsOutputRedirected;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
            Out = new AnsiConsoleOutput(Out),
        });
        Threads = threads;
        ThreadSource = threadSource;
    }

    public ParseResult Parse { get; }
    public TextWriter Out { get; }
    public TextWriter Error { get; }

    /// <summary>Spectre console writing to <see cref="Out"/> (plain text when it is not a terminal).</summary>
    public IAnsiConsole Console { get; }

    /// <summary>libtorch intra-op threads in use.</summary>
    public int Threads { get; }
    public ThreadSource ThreadSource { get; }

    /// <summary>Writes <paramref name="value"/> as one JSON object (snake_case keys) and a newline to stdout.</summary>
    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>Runs <paramref name="work"/> under a spinner on an interactive terminal, plainly otherwise.</summary>
    public T WithStatus<T>(string initial, Func<Action<string>, T> work)
    {
        if (!Console.Profile.Capabilities.Interactive) return work(_ => { });
        return Console.Status().Spinner(Spinner.Known.Dots).Start(initial, ctx => work(s => ctx.Status(s)));
    }

    /// <summary>
    /// Wraps a command body as a System.CommandLine action: applies the thread policy (global --threads,
    /// ALIGN_NUM_THREADS, else all cores). Its exceptions become exit codes in <see cref="AlignApp.Run"/>.
    /// </summary>
    public static Func<ParseResult, int> Action(Option<int?> threadsOption, Func<CommandContext, int> body) => parse =>
    {
        var (threads, source) = ThreadSetting.Apply(parse.GetValue(threadsOption));
        return body(new CommandContext(parse, threads, source));
    };

    /// <summary>The message printed when the bridge (libaligntorch.so) or libtorch cannot be loaded.</summary>
    internal static string NativeLoadHint(Exception e)
    {
        bool stale = e is EntryPointNotFoundException;
        string problem = stale
            ? "the libtorch bridge (libaligntorch.so) is older than this program: a function it needs is missing."
            : "the libtorch bridge (libaligntorch.so) or libtorch itself could not be loaded.";
        return $"""
            error: {problem}
              Fix: from the repository root run
                bash .ci/setup && dotnet build Alignment.sln -c Release
              .ci/setup installs what is missing (libtorch-dev, libopenblas0-pthread, cmake, g++); the build compiles
              the bridge (src/Alignment.Torch/native) next to this program. For a CUDA or other libtorch, set
              ALIGN_LIBTORCH=/path/to/libtorch (a folder with include/, lib/, share/cmake/Torch) and build again.
              Details: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}
            """;
    }
}
