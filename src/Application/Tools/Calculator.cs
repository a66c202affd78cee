using System.Globalization;

namespace Agents.Application.Tools;

/// <summary>
/// Evaluates arithmetic: numbers, + - * / % ^, parentheses and unary minus. A small recursive-descent parser, so the
/// model's input is never compiled or executed.
/// </summary>
internal sealed class Calculator
{
    private const int MaxLength = 500;
    private readonly string text;
    private int pos;

    private Calculator(string text) => this.text = text;

    public static double Evaluate(string expression)
    {
        if (expression.Length > MaxLength)
        {
            throw new ToolException($"The expression is longer than {MaxLength} characters.");
        }
        var calculator = new Calculator(expression);
        var value = calculator.Sum();
        calculator.SkipSpaces();
        if (calculator.pos != expression.Length)
        {
            throw new ToolException($"Unexpected '{expression[calculator.pos]}' at position {calculator.pos + 1}.");
        }
        return value;
    }

    private double Sum()
    {
        var value = Product();
        while (Accept('+') || Accept('-'))
        {
            var op = text[pos - 1];
            var right = Product();
            value = op == '+' ? value + right : value - right;
        }
        return value;
    }

    private double Product()
    {
        var value = Power();
        while (Accept('*') || Accept('/') || Accept('%'))
        {
            var op = text[pos - 1];
            var right = Power();
            if (op != '*' && right == 0)
            {
                throw new ToolException("Division by zero.");
            }
            value = op switch { '*' => value * right, '/' => value / right, _ => value % right };
        }
        return value;
    }

    private double Power()
    {
        var value = Unary();
        return Accept('^') ? Math.Pow(value, Power()) : value;
    }

    private double Unary() => Accept('-') ? -Unary() : Accept('+') ? Unary() : Atom();

    private double Atom()
    {
        if (Accept('('))
        {
            var value = Sum();
            if (!Accept(')'))
            {
                throw new ToolException("Missing ')'.");
            }
            return value;
        }
        SkipSpaces();
        var start = pos;
        while (pos < text.Length && (char.IsAsciiDigit(text[pos]) || text[pos] == '.'))
        {
            pos++;
        }
        if (start == pos)
        {
            throw new ToolException(pos < text.Length ? $"Unexpected '{text[pos]}' at position {pos + 1}." : "The expression ends too early.");
        }
        return double.Parse(text.AsSpan(start, pos - start), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private bool Accept(char c)
    {
        SkipSpaces();
        if (pos < text.Length && text[pos] == c)
        {
            pos++;
            return true;
        }
        return false;
    }

    private void SkipSpaces()
    {
        while (pos < text.Length && char.IsWhiteSpace(text[pos]))
        {
            pos++;
        }
    }
}
