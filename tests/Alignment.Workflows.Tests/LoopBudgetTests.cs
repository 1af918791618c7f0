using System.Text.Json.Nodes;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Validation;

namespace Alignment.Workflows.Tests;

// Loops that never end: the step budget that stops them at run time, and the validation warning for a loop whose exit
// reads nothing the loop changes.
public class LoopBudgetTests
{
    /// <summary>tick (SetVariable round = round + 1) -> check (FlowDecision on <paramref name="condition"/>) -True-> tick; False ends.</summary>
    private static WorkflowDefinition Loop(string condition, int? maxSteps = null)
    {
        var d = WorkflowDefinition.Create("loop", "Loop");
        d.AddVariable("round", "Int32", "0");
        d.AddVariable("limit", "Int32", "3");
        var tick = d.AddActivity("tick", "Elsa.SetVariable", name: "Tick");
        tick.Json["variable"] = new JsonObject { ["id"] = "round", ["name"] = "round", ["typeName"] = "Int32" };
        tick.SetInput("value", "Object", Expression.Formula("Variable:round + 1"));
        tick.SetCustomProperty("canStartWorkflow", true);
        d.AddActivity("check", "Elsa.FlowDecision", name: "Again?").SetInput("condition", "Boolean", Expression.Formula(condition));
        d.Connect("tick", "check");
        d.Connect("check", "tick", "True");
        if (maxSteps is { } n) d.MaxSteps = n;
        return d;
    }

    private static WorkflowValidator Validator() => new(TestHome.Registry());

    [Fact]
    public async Task A_loop_that_never_ends_faults_at_the_step_budget_naming_it_and_how_to_raise_it()
    {
        using var home = new TestHome();
        var d = Loop("Variable:limit > 0", maxSteps: 50);   // reads a variable the loop never changes: runs forever
        Assert.Empty(Validator().Validate(d));

        var result = await home.Run(home.Write(d)).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(InstanceStatus.Faulted, result.Status);
        Assert.Contains("step budget exhausted: 50 activity executions", result.Message);
        Assert.Contains("customProperties.maxSteps", result.Message);
        Assert.Contains("--max-steps", result.Message);
        Assert.Equal(50, home.Engine.Detail(result.InstanceId).Executions.Count);   // 25 ticks and 25 checks, nothing more
        Assert.Equal(InstanceStatus.Faulted, home.Engine.Detail(result.InstanceId).Instance.Status);
    }

    [Fact]
    public async Task The_budget_given_to_start_replaces_the_definitions_and_a_loop_within_it_finishes()
    {
        using var home = new TestHome();
        string path = home.Write(Loop("Variable:limit > 0", maxSteps: 5000));
        var capped = await home.Engine.RunAsync(home.Engine.Start(path, new Dictionary<string, string>(), maxSteps: 8)).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(InstanceStatus.Faulted, capped.Status);
        Assert.Contains("step budget exhausted: 8 activity executions", capped.Message);

        // round counts 1, 2, 3: the check is true twice and false once, 6 executions, under a budget of 6.
        var bounded = await home.Engine.RunAsync(home.Engine.Start(home.Write(Loop("Variable:round < 3"), "bounded.json"),
            new Dictionary<string, string>(), maxSteps: 6));
        Assert.Equal(InstanceStatus.Finished, bounded.Status);
        Assert.Throws<WorkflowException>(() => home.Engine.Start(path, new Dictionary<string, string>(), maxSteps: 0));
    }

    [Fact]
    public void The_default_budget_is_ten_thousand_and_a_bad_budget_is_a_validation_error()
    {
        Assert.Equal(10_000, Loop("Variable:round < 3").StepBudget);
        var d = Loop("Variable:round < 3");
        d.Json["customProperties"] = new JsonObject { ["maxSteps"] = -1 };
        var error = Assert.Single(Validator().Validate(d));
        Assert.Equal(ValidationCodes.Structure, error.Code);
        Assert.Contains("customProperties.maxSteps", error.Message);
    }

    [Theory]
    [InlineData("Variable:limit > 0", true)]            // reads only a variable the loop never sets
    [InlineData("true", true)]                          // reads nothing
    [InlineData("Variable:round < 3", false)]           // reads the counter the loop sets
    [InlineData("Variable:round < Variable:limit", false)]
    public void A_loop_whose_exit_reads_nothing_the_loop_changes_is_a_warning_not_an_error(string condition, bool warned)
    {
        var d = Loop(condition);
        Assert.Empty(Validator().Validate(d));
        var warnings = Validator().Warnings(d);
        if (!warned)
        {
            Assert.Empty(warnings);
            return;
        }
        var warning = Assert.Single(warnings);
        Assert.Equal(ValidationCodes.UnboundedCycle, warning.Code);
        Assert.Equal("tick", warning.ActivityId);
        Assert.Contains("'Again?'", warning.Message);
        Assert.Contains("no bounded exit", warning.Message);
    }

    [Fact]
    public void A_loop_whose_decision_loops_back_on_both_ports_has_no_exit_and_one_reading_a_stage_output_is_bounded()
    {
        var d = Loop("Variable:round < 3");
        d.Connect("check", "tick", "False");   // both ports lead back: nothing leaves the loop
        Assert.Contains("no FlowDecision on it has a port that leaves it", Assert.Single(Validator().Warnings(d)).Message);

        var staged = Loop("true");
        staged.FindActivity("check")!.SetInput("condition", "Boolean", Expression.Output("work", "report"));
        var work = staged.AddActivity("work", "Alignment.Test.Gate", name: "Work");
        work.SetInput("label", "String", Expression.Literal("w"));
        staged.Root!["connections"]!.AsArray().Clear();
        staged.Connect("tick", "work");
        staged.Connect("work", "check");
        staged.Connect("check", "tick", "True");
        Assert.Empty(Validator().Warnings(staged));
    }

    [Fact]
    public void The_shipped_workflows_have_no_warnings()
    {
        foreach (string file in Directory.EnumerateFiles(Path.Combine(TestHome.RepoRoot, "workflows"), "*.json"))
            Assert.Empty(Validator().Warnings(DefinitionSerializer.Load(file)));
    }
}
