using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Agents.ModelSimulator.Script;

/// <summary>
/// Parses the directive language: space-separated <c>key=value</c> items and bare flags. A value is either
/// double-quoted (<c>\"</c> and <c>\\</c> escapes), single-quoted (verbatim, handy for JSON), or bare and
/// URL-decoded (<c>%20</c> or <c>+</c> for a space).
/// </summary>
internal static class SimScriptParser
{
    public const string HeaderName = "x-sim";
    private const string Opening = "[[sim";
    private const string Closing = "]]";

    /// <summary>Reads the first <c>[[sim ...]]</c> found anywhere in a message; no directive gives <see cref="SimScript.Empty"/>.</summary>
    public static bool TryParseMessage(string text, out SimScript script, out string? error)
    {
        var start = FindOpening(text);
        if (start < 0)
        {
            script = SimScript.Empty;
            error = null;
            return true;
        }

        return TryParseItems(text, start + Opening.Length, bracketed: true, out script, out error);
    }

    /// <summary>Reads the <c>x-sim</c> header: the same items, with or without the surrounding <c>[[sim ]]</c>.</summary>
    public static bool TryParseHeader(string header, out SimScript script, out string? error) =>
        header.TrimStart().StartsWith(Opening, StringComparison.Ordinal)
            ? TryParseMessage(header, out script, out error)
            : TryParseItems(header, 0, bracketed: false, out script, out error);

    private static int FindOpening(string text)
    {
        // "[[sim" must be followed by a space or the closing brackets, so "[[simulation]]" is left alone.
        for (var at = text.IndexOf(Opening, StringComparison.Ordinal); at >= 0; at = text.IndexOf(Opening, at + 1, StringComparison.Ordinal))
        {
            var next = at + Opening.Length;
            if (next == text.Length || char.IsWhiteSpace(text[next]) || text[next] == ']')
            {
                return at;
            }
        }

        return -1;
    }

    private static bool TryParseItems(string s, int i, bool bracketed, out SimScript script, out string? error)
    {
        script = new SimScript();
        while (true)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }

            if (bracketed && IsClosingAt(s, i))
            {
                error = null;
                return true;
            }

            if (i >= s.Length)
            {
                error = bracketed ? "The [[sim directive has no closing ]]." : null;
                return !bracketed;
            }

            var keyStart = i;
            while (i < s.Length && !char.IsWhiteSpace(s[i]) && s[i] != '=' && !(bracketed && IsClosingAt(s, i)))
            {
                i++;
            }

            var key = s[keyStart..i];
            string? value = null;
            if (i < s.Length && s[i] == '=')
            {
                i++;
                if (!TryReadValue(s, ref i, bracketed, out value, out error))
                {
                    return false;
                }
            }

            error = SimScriptItems.Apply(script, key, value);
            if (error is not null)
            {
                return false;
            }
        }
    }

    private static bool IsClosingAt(string s, int i) => string.CompareOrdinal(s, i, Closing, 0, Closing.Length) == 0;

    private static bool TryReadValue(string s, ref int i, bool bracketed, out string value, out string? error)
    {
        error = null;
        if (i < s.Length && s[i] == '"')
        {
            var builder = new StringBuilder();
            for (i++; i < s.Length; i++)
            {
                if (s[i] == '"')
                {
                    i++;
                    value = builder.ToString();
                    return true;
                }

                if (s[i] == '\\' && i + 1 < s.Length && s[i + 1] is '"' or '\\')
                {
                    i++;
                }

                builder.Append(s[i]);
            }
        }
        else if (i < s.Length && s[i] == '\'')
        {
            var end = s.IndexOf('\'', i + 1);
            if (end >= 0)
            {
                value = s[(i + 1)..end];
                i = end + 1;
                return true;
            }
        }
        else
        {
            var start = i;
            while (i < s.Length && !char.IsWhiteSpace(s[i]) && !(bracketed && IsClosingAt(s, i)))
            {
                i++;
            }

            value = Uri.UnescapeDataString(s[start..i].Replace('+', ' '));
            return true;
        }

        value = "";
        error = "A quoted directive value has no closing quote.";
        return false;
    }
}

/// <summary>The meaning and valid range of each directive key.</summary>
internal static class SimScriptItems
{
    public static string? Apply(SimScript script, string key, string? value)
    {
        if (value is null && key is not ("hang" or "judge"))
        {
            return $"The directive item '{key}' needs a value ({key}=...).";
        }

        switch (key)
        {
            case "tokens": return SetInt(value!, key, 0, SimScript.MaxTokens, v => script.Tokens = v);
            case "reply": script.Reply = value; return null;
            case "tool": return AddTool(script, value!);
            case "tools":
                foreach (var name in value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    script.ToolCalls.Add(new ToolCallSpec(name, null));
                }

                return script.ToolCalls.Count > 0 ? null : "tools= needs at least one tool name.";
            case "args": return SetArgs(script, value!);
            case "steps": return SetInt(value!, key, 0, 1000, v => script.Steps = v);
            case "parallel": return SetInt(value!, key, 1, 64, v => script.Parallel = v);
            case "error": return SetInt(value!, key, 400, 599, v => script.ErrorStatus = v);
            case "retry_after": return SetInt(value!, key, 0, 86_400, v => script.RetryAfterSeconds = v);
            case "times": return SetInt(value!, key, 1, int.MaxValue, v => script.Times = v);
            case "model": return SetFailingModel(script, value!);
            case "hang": return SetFlag(value, key, v => script.Hang = v);
            case "drop": return SetInt(value!, key, 0, int.MaxValue, v => script.Drop = v);
            case "ttft": return SetInt(value!, key, 0, 600_000, v => script.TimeToFirstTokenMs = v);
            case "tps": return SetDouble(value!, key, 0.001, 1_000_000, v => script.TokensPerSecond = v);
            case "score": return SetDouble(value!, key, 0, 1, v => script.Score = v);
            case "judge": return SetFlag(value, key, v => script.Judge = v);
            case "cached": return SetInt(value!, key, 0, int.MaxValue, v => script.CachedTokens = v);
            default: return $"Unknown directive item '{key}'. See docs/model-simulator.md for the directive language.";
        }
    }

    private static string? AddTool(SimScript script, string name)
    {
        if (name.Length == 0)
        {
            return "tool= needs a function name.";
        }

        script.ToolCalls.Add(new ToolCallSpec(name, null));
        return null;
    }

    private static string? SetFailingModel(SimScript script, string model)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            return "model= needs a model name: the \"model\" of the requests that error, hang and drop apply to (model=sim-small).";
        }

        script.FailingModel = model;
        return null;
    }

    private static string? SetArgs(SimScript script, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return "args= must be a JSON object.";
            }
        }
        catch (JsonException e)
        {
            return $"args= is not valid JSON: {e.Message}";
        }

        if (script.ToolCalls.Count == 0)
        {
            script.DefaultArgs = json;
            return null;
        }

        var last = script.ToolCalls[^1];
        if (last.Arguments is not null)
        {
            return $"args= must follow its tool= (tool '{last.Name}' already has arguments).";
        }

        script.ToolCalls[^1] = last with { Arguments = json };
        return null;
    }

    private static string? SetInt(string value, string key, int min, int max, Action<int> set)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            return $"{key}= must be a whole number from {min} to {max}, not '{value}'.";
        }

        set(number);
        return null;
    }

    private static string? SetDouble(string value, string key, double min, double max, Action<double> set)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{key}= must be a number from {min} to {max}, not '{value}'.");
        }

        set(number);
        return null;
    }

    private static string? SetFlag(string? value, string key, Action<bool> set)
    {
        if (value is null)
        {
            set(true);
            return null;
        }

        if (!bool.TryParse(value, out var flag))
        {
            return $"{key} is a flag: write '{key}' or '{key}=true|false'.";
        }

        set(flag);
        return null;
    }
}
