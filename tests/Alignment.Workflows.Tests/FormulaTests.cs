using Alignment.Workflows.Formulas;

namespace Alignment.Workflows.Tests;

public class FormulaTests
{
    private sealed class Scope : IFormulaScope
    {
        public object Resolve(FormulaReference r) => r.ToString() switch
        {
            "Output:eval.winRate" => 0.65,
            "Variable:round" => 2L,
            "Input:mode" => "full",
            _ => throw new FormulaException($"{r} unknown"),
        };
    }

    [Theory]
    [InlineData("Output:eval.winRate >= 0.6", true)]
    [InlineData("Output:eval.winRate >= 0.7", false)]
    [InlineData("Variable:round + 1 == 3 and Input:mode == 'full'", true)]
    [InlineData("not (Variable:round < 2) or false", true)]
    [InlineData("2 * (1 + 2) - 6 / 3 == 4", true)]
    [InlineData("-Variable:round < 0", true)]
    public void Conditions_evaluate(string text, bool expected) => Assert.Equal(expected, Formula.Parse(text).EvaluateCondition(new Scope()));

    [Fact]
    public void Arithmetic_gives_numbers_and_references_are_listed()
    {
        var f = Formula.Parse("Variable:round + 1");
        Assert.Equal(3.0, f.Evaluate(new Scope()));
        Assert.Equal([new FormulaReference(ReferenceKind.Variable, "round")], f.References);
        Assert.Equal(new FormulaReference(ReferenceKind.Output, "winRate", "eval"), Formula.Parse("Output:eval.winRate > 1").References[0]);
    }

    [Theory]
    [InlineData("Output:eval >= 1", "Output:activityId.outputName")]
    [InlineData("Variable:round >", "ends where a value")]
    [InlineData("Foo:x == 1", "unknown reference type")]
    [InlineData("round == 1", "unknown word 'round'")]
    [InlineData("(1 + 2", "expected ')'")]
    [InlineData("'open", "no closing")]
    public void Syntax_errors_say_where(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormulaException>(() => Formula.Parse(text)).Message);

    [Theory]
    [InlineData("Input:mode > 1", "'>' cannot be applied to the text 'full' and the number 1")]
    [InlineData("Variable:round == 'two'", "'=='")]
    [InlineData("Variable:round + 1", "not true or false")]
    [InlineData("1 / (Variable:round - 2) > 0", "division by zero")]
    public void Type_mismatches_are_errors_not_false(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormulaException>(() => Formula.Parse(text).EvaluateCondition(new Scope())).Message);
}
