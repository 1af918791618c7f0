using System.CommandLine;
using Alignment.Workflows.Activities;
using Alignment.Data;
using Alignment.Workflows;
using Alignment.Workflows.Execution;

namespace Alignment.Cli.Commands;

/// <summary>
/// `align demo`: runs workflows/demo-rlhf.json end to end in the home folder (tokenizer, new model, SFT, sampled answers,
/// scripted or human judgments, reward model, DPO and PPO, evaluations), with progress per stage, and prints a summary.
/// Stages already run with the same inputs come from the cache, so a second run is fast.
/// </summary>
public static class DemoCommand
{
    /// <summary>The definition's path under a repository (or an installed program's) folder.</summary>
    public static readonly string DefinitionPath = Path.Combine("workflows", "demo-rlhf.json");

    public static Command Create(Option<int?> threads)
    {
        var home = WorkflowCommandSupport.HomeOption();
        var human = new Option<bool>("--human")
        {
            Description = "People judge the sampled answers instead of the scripted judge: the run stops at Collect judgments, the labeling web app " +
                          "starts here with new annotator accounts (their login tokens are printed), and the run goes on once every comparison is judged.",
        };
        var humanEval = new Option<bool>("--human-eval")
        {
            Description = "People also judge the evaluations (DPO vs SFT, PPO vs SFT) blind: each answer pair is shown in random order without " +
                          "model names; the run stops at each Evaluate until judged, serving the labeling web app as --human does.",
        };
        var seed = new Option<int?>("--seed") { Description = "Seed of the new model's weights, training, sampling and pairing (the workflow's default: 7).", HelpName = "N" };
        var inputs = new Option<string[]>("--input")
        {
            Description = "Override a workflow input as NAME=VALUE (e.g. dpoSteps=200); repeat for several. See `align workflows validate` and workflows/README.md.",
            HelpName = "NAME=VALUE",
        };
        var workflow = new Option<string?>("--workflow") { Description = $"The definition to run (default: {DefinitionPath}, found above the current folder or the program).", HelpName = "FILE" };
        var force = new Option<bool>("--force") { Description = "Run every stage again even when an identical earlier run is in the cache." };
        var annotators = new Option<int>("--annotators")
        {
            Description = "With --human or --human-eval: how many annotator accounts to create (each prints a login token).", DefaultValueFactory = _ => 2, HelpName = "N",
        };
        var port = new Option<int>("--port") { Description = "With --human or --human-eval: port of the labeling web app (0 picks a free one).", DefaultValueFactory = _ => 5080, HelpName = "N" };
        var command = new Command("demo",
            "The whole loop on shipped data, unattended: learn a tokenizer, create a small model, SFT, sample answers, judge them (scripted rules, " +
            "or people with --human), train a reward model, then DPO, and PPO and GRPO (rule rewards) from DPO, each evaluated against SFT on " +
            "held-out prompts (PPO and GRPO also against DPO). Prints progress per stage and a summary (win rates with 95% intervals, the task " +
            "score and each rule SFT → DPO → PPO → GRPO, every regression, the reward model's held-out accuracy, report paths). " +
            "A second run reuses cached stages. Exit codes as `align run`.")
        {
            home, human, humanEval, seed, inputs, workflow, force, annotators, port,
        };
        command.SetAction(CommandContext.Action(threads, ctx =>
        {
            string definition = ctx.Parse.GetValue(workflow) is { } explicitPath
                ? Path.GetFullPath(explicitPath)
                : FindDefinition(Environment.CurrentDirectory, AppContext.BaseDirectory);
            if (!File.Exists(definition)) throw new WorkflowException($"--workflow: {definition} does not exist");
            var values = RunCommand.ParseInputs(ctx.Parse.GetValue(inputs) ?? []);
            if (ctx.Parse.GetValue(seed) is { } s) values["seed"] = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
            bool byPeople = ctx.Parse.GetValue(human);
            if (byPeople) values["judge"] = "human";
            bool evalByPeople = ctx.Parse.GetValue(humanEval);
            if (evalByPeople) values["evalJudge"] = "human";
            string homeDir = AlignHome.Resolve(ctx.Parse.GetValue(home));

            ctx.Out.WriteLine($"align demo: {definition}");
            ctx.Out.WriteLine($"home {homeDir}, {ctx.Threads} thread{(ctx.Threads == 1 ? "" : "s")}, judge {(byPeople ? "human" : "rules")}, evaluation judge {(evalByPeople ? "human (blind A/B)" : "rules")}");
            ctx.Out.Flush();
            var engine = new WorkflowEngine(homeDir, ActivityRegistry.CreateDefault());
            string id = engine.Start(definition, values, ctx.Parse.GetValue(force));
            ctx.Out.WriteLine($"instance {id}");
            var result = DemoProgress.Show(ctx, observer => Run(engine, id, observer, resume: false));

            if (result.Status == InstanceStatus.Suspended && (byPeople || evalByPeople))
            {
                var judged = new DemoLabeling(engine, homeDir, ctx.Out).JudgeUntilDone(id, ctx.Parse.GetValue(annotators), ctx.Parse.GetValue(port),
                    () => DemoProgress.Show(ctx, observer => Run(engine, id, observer, resume: true)));
                if (judged is null)
                {
                    ctx.Out.WriteLine($"stopped waiting; the instance stays suspended: `align resume {id} --home {homeDir}` continues once the comparisons are judged");
                    return WorkflowExitCodes.Suspended;
                }
                result = judged;
            }
            switch (result.Status)
            {
                case InstanceStatus.Finished:
                    ctx.Out.WriteLine();
                    DemoSummary.Print(ctx, engine.Detail(id), engine.Artifacts, homeDir);
                    break;
                case InstanceStatus.Suspended:
                    ctx.Out.WriteLine($"instance {id} suspended: {result.Message}; continue with `align resume {id} --home {homeDir}`");
                    break;
                default:
                    ctx.Error.WriteLine($"error: instance {id} {result.Status.ToString().ToLowerInvariant()}: {result.Message}");
                    ctx.Error.WriteLine($"fix the cause, then `align resume {id} --home {homeDir}` retries from the failed stage");
                    break;
            }
            return WorkflowCommandSupport.ExitCode(result);
        }));
        return command;
    }

    /// <summary>
    /// workflows/demo-rlhf.json in <paramref name="start"/> or a folder above it, else in or above <paramref name="programFolder"/>;
    /// a clear error when neither has one.
    /// </summary>
    public static string FindDefinition(string start, string programFolder)
    {
        foreach (string origin in new[] { start, programFolder })
            for (var dir = new DirectoryInfo(Path.GetFullPath(origin)); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, DefinitionPath);
                if (File.Exists(candidate)) return candidate;
            }
        throw new WorkflowException(
            $"cannot find {DefinitionPath} in {Path.GetFullPath(start)} or any folder above it, nor above the program's folder {programFolder}; " +
            "run `align demo` inside the repository, or name the definition with --workflow FILE");
    }

    private static RunResult Run(WorkflowEngine engine, string id, IWorkflowObserver observer, bool resume)
    {
        var observed = new WorkflowEngine(engine.Home, engine.Registry, engine.Options with { Observer = observer });
        return (resume ? observed.ResumeAsync(id) : observed.RunAsync(id)).GetAwaiter().GetResult();
    }
}
