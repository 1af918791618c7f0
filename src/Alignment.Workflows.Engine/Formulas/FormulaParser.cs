using System.Globalization;
using System.Text;

namespace Alignment.Workflows.Formulas;

/// <summary>Syntax tree of a formula.</summary>
internal abstract record FormulaNode;
internal sealed record ConstantNode(object Value) : FormulaNode;
internal sealed record ReferenceNode(FormulaReference Reference) : FormulaNode;
internal sealed record UnaryNode(string Operator, FormulaNode Operand, int Position) : FormulaNode;
internal sealed record BinaryNode(string Operator, FormulaNode Left, FormulaNode Right, int Position) : FormulaNode;

/// <summary>
/// Recursive-descent parser for the formula grammar (lowest precedence first):
/// <code>
/// or      := and ("or" and)*
/// and     := not ("and" not)*
/// not     := "not" not | compare
/// compare := sum (("==" | "!=" | "&lt;" | "&lt;=" | "&gt;" | "&gt;=") sum)?
/// sum     := product (("+" | "-") product)*
/// product := unary (("*" | "/") unary)*
/// unary   := "-" unary | atom
/// atom    := number | 'text' | "text" | true | false | reference | "(" or ")"
/// reference := Input:name | Variable:name | Output:activityId.outputName     (names: letters, digits, _ and -)
/// </code>
/// </summary>
internal sealed class FormulaParser
{
    private readonly string _text;
    private int _pos;

    private FormulaParser(string text) => _text = text;

    public static FormulaNode Parse(string text)
    {
        var parser = new FormulaParser(text);
        var node = parser.ParseOr();
        parser.SkipSpace();
        if (parser._pos < text.Length) throw parser.Error($"unexpected '{text[parser._pos]}'");
        return node;
    }

    private FormulaNode ParseOr()
    {
        var left = ParseAnd();
        while (TryKeyword("or", out int at)) left = new BinaryNode("or", left, ParseAnd(), at);
        return left;
    }

    private FormulaNode ParseAnd()
    {
        var left = ParseNot();
        while (TryKeyword("and", out int at)) left = new BinaryNode("and", left, ParseNot(), at);
        return left;
    }

    private FormulaNode ParseNot() =>
        TryKeyword("not", out int at) ? new UnaryNode("not", ParseNot(), at) : ParseCompare();

    private FormulaNode ParseCompare()
    {
        var left = ParseSum();
        SkipSpace();
        int at = _pos;
        foreach (var op in new[] { "==", "!=", "<=", ">=", "<", ">" })
        {
            if (string.CompareOrdinal(_text, _pos, op, 0, op.Length) != 0) continue;
            _pos += op.Length;
            return new BinaryNode(op, left, ParseSum(), at);
        }
        return left;
    }

    private FormulaNode ParseSum()
    {
        var left = ParseProduct();
        while (true)
        {
            SkipSpace();
            if (_pos >= _text.Length || (_text[_pos] != '+' && _text[_pos] != '-')) return left;
            int at = _pos;
            string op = _text[_pos++].ToString();
            left = new BinaryNode(op, left, ParseProduct(), at);
        }
    }

    private FormulaNode ParseProduct()
    {
        var left = ParseUnary();
        while (true)
        {
            SkipSpace();
            if (_pos >= _text.Length || (_text[_pos] != '*' && _text[_pos] != '/')) return left;
            int at = _pos;
            string op = _text[_pos++].ToString();
            left = new BinaryNode(op, left, ParseUnary(), at);
        }
    }

    private FormulaNode ParseUnary()
    {
        SkipSpace();
        if (_pos < _text.Length && _text[_pos] == '-')
        {
            int at = _pos++;
            return new UnaryNode("-", ParseUnary(), at);
        }
        return ParseAtom();
    }

    private FormulaNode ParseAtom()
    {
        SkipSpace();
        if (_pos >= _text.Length) throw Error("the formula ends where a value was expected");
        char c = _text[_pos];
        if (c == '(')
        {
            _pos++;
            var inner = ParseOr();
            SkipSpace();
            if (_pos >= _text.Length || _text[_pos] != ')') throw Error("expected ')'");
            _pos++;
            return inner;
        }
        if (c is '\'' or '"') return new ConstantNode(ReadString(c));
        if (char.IsDigit(c) || c == '.') return new ConstantNode(ReadNumber());
        if (char.IsLetter(c))
        {
            int start = _pos;
            string word = ReadWhile(ch => char.IsLetter(ch));
            if (word == "true") return new ConstantNode(true);
            if (word == "false") return new ConstantNode(false);
            if (_pos < _text.Length && _text[_pos] == ':') return new ReferenceNode(ReadReference(word, start));
            throw new FormulaException($"at {start + 1}: unknown word '{word}'; use true, false, and, or, not, or a reference Input:name, Variable:name, Output:activity.output");
        }
        throw Error($"unexpected '{c}'");
    }

    private FormulaReference ReadReference(string prefix, int start)
    {
        _pos++; // ':'
        string path = ReadWhile(ch => char.IsLetterOrDigit(ch) || ch is '_' or '-' or '.');
        if (path.Length == 0) throw new FormulaException($"at {start + 1}: '{prefix}:' needs a name after the colon");
        switch (prefix)
        {
            case "Input" or "Variable":
                if (path.Contains('.')) throw new FormulaException($"at {start + 1}: '{prefix}:{path}': a {prefix.ToLowerInvariant()} name has no dots");
                return new FormulaReference(prefix == "Input" ? ReferenceKind.Input : ReferenceKind.Variable, path);
            case "Output":
                int dot = path.LastIndexOf('.');
                if (dot <= 0 || dot == path.Length - 1)
                    throw new FormulaException($"at {start + 1}: 'Output:{path}' must be Output:activityId.outputName");
                return new FormulaReference(ReferenceKind.Output, path[(dot + 1)..], path[..dot]);
            default:
                throw new FormulaException($"at {start + 1}: unknown reference type '{prefix}:'; use Input:, Variable: or Output:");
        }
    }

    private string ReadString(char quote)
    {
        int start = _pos++;
        var sb = new StringBuilder();
        while (_pos < _text.Length && _text[_pos] != quote)
        {
            if (_text[_pos] == '\\' && _pos + 1 < _text.Length) _pos++;
            sb.Append(_text[_pos++]);
        }
        if (_pos >= _text.Length) throw new FormulaException($"at {start + 1}: the text starting here has no closing {quote}");
        _pos++;
        return sb.ToString();
    }

    private double ReadNumber()
    {
        int start = _pos;
        string digits = ReadWhile(ch => char.IsDigit(ch) || ch is '.' or 'e' or 'E' ||
                                        ((ch is '+' or '-') && _pos > start && _text[_pos - 1] is 'e' or 'E'));
        if (!double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw new FormulaException($"at {start + 1}: '{digits}' is not a number");
        return value;
    }

    private bool TryKeyword(string word, out int at)
    {
        SkipSpace();
        at = _pos;
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0) return false;
        int end = _pos + word.Length;
        if (end < _text.Length && (char.IsLetterOrDigit(_text[end]) || _text[end] is '_' or ':')) return false;
        _pos = end;
        return true;
    }

    private string ReadWhile(Func<char, bool> accept)
    {
        int start = _pos;
        while (_pos < _text.Length && accept(_text[_pos])) _pos++;
        return _text[start.._pos];
    }

    private void SkipSpace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos])) _pos++;
    }

    private FormulaException Error(string problem) => new($"at {_pos + 1}: {problem}");
}
