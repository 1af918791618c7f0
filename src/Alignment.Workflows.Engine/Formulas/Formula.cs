using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alignment.Workflows.Formulas;

/// <summary>
/// A Formula expression: a small, safe language for FlowDecision conditions and SetVariable values. No calls,
/// no loops, no access to anything but the workflow's inputs, variables and upstream outputs:
/// <code>
/// Output:eval.winRate >= 0.6
/// Variable:round + 1
/// Output:export.pairs > 0 and not (Input:mode == 'dry-run')
/// </code>
/// Values are numbers (64-bit floating point), text ('single' or "double" quotes) and booleans. Operators:
/// <c>+ - * /</c> on numbers (<c>+</c> also joins text), <c>== !=</c> on two values of one type,
/// <c>&lt; &lt;= &gt; &gt;=</c> on numbers, <c>and or not</c> on booleans; parentheses group. References:
/// <c>Input:name</c>, <c>Variable:name</c>, <c>Output:activityId.outputName</c>. A type mismatch is an error at
/// run time naming the operator and the values, never a silent false.
/// </summary>
public sealed class Formula
{
    private readonly FormulaNode _root;

    private Formula(string text, FormulaNode root)
    {
        Text = text;
        _root = root;
        var references = new List<FormulaReference>();
        Collect(root, references);
        References = references;
    }

    /// <summary>The formula as written.</summary>
    public string Text { get; }

    /// <summary>Every reference in the formula, in order of appearance.</summary>
    public IReadOnlyList<FormulaReference> References { get; }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormulaException"/> naming the position of the problem.</summary>
    public static Formula Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new FormulaException("the formula is empty");
        return new Formula(text, FormulaParser.Parse(text));
    }

    /// <summary>Evaluates to a number (double), text (string) or boolean.</summary>
    public object Evaluate(IFormulaScope scope) => Eval(_root, scope);

    /// <summary>Evaluates a condition; throws <see cref="FormulaException"/> unless the result is a boolean.</summary>
    public bool EvaluateCondition(IFormulaScope scope) => Evaluate(scope) is bool b
        ? b
        : throw new FormulaException($"'{Text}' gives {Describe(Evaluate(scope))}, not true or false; use a comparison such as '>= 0.6'");

    /// <summary>Turns an engine value (number types, string, bool, JSON value) into a formula value.</summary>
    public static object Normalize(object? value) => value switch
    {
        null => throw new FormulaException("the value is empty"),
        bool or string or double => value,
        int i => (double)i,
        long l => (double)l,
        float f => (double)f,
        decimal d => (double)d,
        JsonValue json => json.GetValueKind() switch
        {
            JsonValueKind.Number => double.Parse(json.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String => json.GetValue<string>(),
            _ => throw new FormulaException($"the value {json.ToJsonString()} is not a number, text or boolean"),
        },
        _ => value.ToString() ?? "",
    };

    private static object Eval(FormulaNode node, IFormulaScope scope)
    {
        switch (node)
        {
            case ConstantNode c:
                return c.Value;
            case ReferenceNode r:
                return Normalize(scope.Resolve(r.Reference));
            case UnaryNode { Operator: "not" } u:
                return Eval(u.Operand, scope) is bool flag ? !flag : throw Mismatch("not", u.Position, Eval(u.Operand, scope));
            case UnaryNode u:
                return Eval(u.Operand, scope) is double d ? -d : throw Mismatch("-", u.Position, Eval(u.Operand, scope));
            case BinaryNode { Operator: "and" } a:
                return Bool(a, Eval(a.Left, scope)) && Bool(a, Eval(a.Right, scope));
            case BinaryNode { Operator: "or" } o:
                return Bool(o, Eval(o.Left, scope)) || Bool(o, Eval(o.Right, scope));
            case BinaryNode b:
                return Binary(b, Eval(b.Left, scope), Eval(b.Right, scope));
            default:
                throw new InvalidOperationException(node.GetType().Name);
        }
    }

    private static bool Bool(BinaryNode node, object value) => value as bool? ?? throw Mismatch(node.Operator, node.Position, value);

    private static object Binary(BinaryNode node, object left, object right)
    {
        switch (node.Operator)
        {
            case "==" or "!=":
                if (left.GetType() != right.GetType()) throw Mismatch(node.Operator, node.Position, left, right);
                bool equal = left is double dl ? dl.Equals((double)right) : left.Equals(right);
                return node.Operator == "==" ? equal : !equal;
            case "+" when left is string ls && right is string rs:
                return ls + rs;
        }
        if (left is not double l || right is not double r) throw Mismatch(node.Operator, node.Position, left, right);
        return node.Operator switch
        {
            "<" => l < r,
            "<=" => l <= r,
            ">" => l > r,
            ">=" => l >= r,
            "+" => l + r,
            "-" => l - r,
            "*" => l * r,
            "/" => r == 0 ? throw new FormulaException($"at {node.Position + 1}: division by zero") : l / r,
            _ => throw new InvalidOperationException(node.Operator),
        };
    }

    private static FormulaException Mismatch(string op, int position, params object[] values) =>
        new($"at {position + 1}: '{op}' cannot be applied to {string.Join(" and ", values.Select(Describe))}");

    private static string Describe(object value) => value switch
    {
        double d => $"the number {d.ToString(CultureInfo.InvariantCulture)}",
        string s => $"the text '{s}'",
        bool b => b ? "true" : "false",
        _ => value.ToString() ?? "",
    };

    private static void Collect(FormulaNode node, List<FormulaReference> into)
    {
        switch (node)
        {
            case ReferenceNode r: into.Add(r.Reference); break;
            case UnaryNode u: Collect(u.Operand, into); break;
            case BinaryNode b: Collect(b.Left, into); Collect(b.Right, into); break;
        }
    }
}
