using Alignment.Cli.Commands;
using Alignment.Cli.Runtime;

namespace Alignment.Cli.Tests;

// Parsing, help and error paths of the command tree.
public class CommandLineTests
{
    [Theory]
    [InlineData(new[] { "--help" }, " [command] [options]")]
    [InlineData(new[] { "doctor", "--help" }, " doctor [options]")]
    [InlineData(new[] { "bench", "--help" }, " bench [command] [options]")]
    [InlineData(new[] { "bench", "torch", "--help" }, " bench torch [options]")]
    [InlineData(new[] { "bench", "torch", "-h" }, " bench torch [options]")]
    [InlineData(new[] { "bench", "forward", "--help" }, " bench forward [options]")]
    [InlineData(new[] { "bench", "generate", "--help" }, " bench generate [options]")]
    [InlineData(new[] { "logprobs", "--help" }, " logprobs [options]")]
    [InlineData(new[] { "store", "copy", "--help" }, " store copy [options]")]
    [InlineData(new[] { "worker", "--help" }, " worker [options]")]
    public void Help_works_for_every_command(string[] args, string usage)
    {
        // In-process the root is named after the test host; the real program's name is checked in ProgramTests.
        var r = CliRunner.Run(args);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains(usage, r.Out);
        Assert.Contains("--threads", r.Out);   // the global option shows on every command
        Assert.Empty(r.Error);
    }

    [Fact]
    public void Root_help_lists_the_commands_with_descriptions()
    {
        var r = CliRunner.Run("--help");

        Assert.Matches(@"doctor\s+Check that this machine is ready", r.Out);
        Assert.Matches(@"bench\s+Run one benchmark", r.Out);
        Assert.Matches(@"logprobs\s+Per-token log-probabilities", r.Out);
    }

    [Theory]
    [InlineData("doctor", "--bogus")]
    [InlineData("frobnicate")]
    [InlineData("bench", "torch", "--size")]
    [InlineData("bench")]
    [InlineData("--threads", "0", "doctor")]
    [InlineData("--threads", "many", "doctor")]
    [InlineData("bench", "torch", "--size", "big")]
    public void Bad_command_lines_print_the_error_and_help_and_fail(params string[] args)
    {
        var r = CliRunner.Run(args);

        Assert.Equal(ExitCodes.ParseError, r.ExitCode);
        Assert.NotEmpty(r.Error.Trim());
        Assert.Contains("Usage:", r.Out);
    }

    [Fact]
    public void Unknown_option_is_named_in_the_error()
    {
        var r = CliRunner.Run("doctor", "--bogus");
        Assert.Contains("--bogus", r.Error);
    }

    [Fact]
    public void Native_load_hint_names_the_setup_command_not_a_stack_trace()
    {
        string hint = CommandContext.NativeLoadHint(new DllNotFoundException("Unable to load shared library 'aligntorch'"));

        Assert.Contains("bash .ci/setup", hint);
        Assert.Contains("ALIGN_LIBTORCH", hint);
        Assert.Contains("Unable to load shared library 'aligntorch'", hint);
        Assert.DoesNotContain("   at ", hint);
    }
}

// The thread policy: --threads, then ALIGN_NUM_THREADS, then every core.
public class ThreadSettingTests
{
    [Fact]
    public void Option_wins_over_the_environment() =>
        Assert.Equal((3, ThreadSource.Option), ThreadSetting.Resolve(3, "5", 8));

    [Fact]
    public void Environment_wins_over_the_default() =>
        Assert.Equal((5, ThreadSource.Environment), ThreadSetting.Resolve(null, " 5 ", 8));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Default_is_every_core(string? env) =>
        Assert.Equal((8, ThreadSource.Default), ThreadSetting.Resolve(null, env, 8));

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("four")]
    [InlineData("2.5")]
    public void Unusable_environment_value_is_a_usage_error(string env)
    {
        var e = Assert.Throws<UsageException>(() => ThreadSetting.Resolve(null, env, 8));
        Assert.Contains(ThreadSetting.EnvironmentVariable, e.Message);
    }
}
