namespace Alignment.Workflows.Judging;

/// <summary>Scripted judges by name: <c>rules</c> (needs a rule file) and <c>length</c>. <c>human</c> means no scripted judge.</summary>
public static class JudgeFactory
{
    /// <summary>The judge names accepted by CollectJudgments' <c>judge</c> input.</summary>
    public static readonly IReadOnlyList<string> Names = ["human", "rules", "length"];

    /// <summary>The scripted judge of this name, or null for <c>human</c>.</summary>
    public static IScriptedJudge? Create(string name, string? rulesPath) => name switch
    {
        "human" => null,
        "rules" => RuleJudge.Load(rulesPath ?? throw new WorkflowException("judge 'rules' needs the input 'rules' (a rule file)")),
        "length" => new LengthJudge(),
        _ => throw new WorkflowException($"unknown judge '{name}'; use {string.Join(", ", Names)}"),
    };
}
