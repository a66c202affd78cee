using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Agents.Application.Policies;

/// <summary>
/// Blocks (or redacts) terms and regular expressions in request text, response text and tool call arguments.
/// Terms match without regard to case. In a stream each delta is checked together with the tail of the text before
/// it, so a term split across deltas still blocks; redaction only replaces what lies within one delta.
/// </summary>
public sealed class ContentBlocklistPolicy : Policy
{
    public const string PolicyName = "content-blocklist";
    private const int TailChars = 256;
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(50);
    private static readonly ConcurrentDictionary<string, Regex> Compiled = new(StringComparer.Ordinal);

    private static readonly SettingsSchema Settings = new(
    [
        SettingField.TextList("terms", "Terms to look for (case-insensitive substrings).", maxLength: 200),
        SettingField.TextList("patterns", "Regular expressions (.NET syntax, case-insensitive).", maxItems: 50, maxLength: 500, check: RegexError),
        SettingField.Choice("applyTo", "Which text is checked: the request, the response (text and tool call arguments), or both.", "both", "both", "request", "response"),
        SettingField.Choice("action", "block: refuse the request or response; redact: replace the match (response text and request messages only; tool calls are always blocked).", "block", "block", "redact"),
        SettingField.Text("replacement", "What a redacted match becomes.", "[redacted]", 100),
    ]);

    public override string Name => PolicyName;

    public override string Description => "Blocks or redacts listed terms and regular expressions in request text, response text and tool call arguments.";

    public override IReadOnlyList<PolicyStage> Stages { get; } = [PolicyStage.Request, PolicyStage.Response, PolicyStage.ToolCall];

    public override SettingsSchema Schema => Settings;

    public override ValueTask<PolicyDecision> OnRequestAsync(PolicyScope scope, PolicyRequest request, PolicySettings settings, CancellationToken ct)
    {
        if (settings.Text("applyTo") == "response")
        {
            return ValueTask.FromResult(PolicyDecision.Pass);
        }
        var redact = settings.Text("action") == "redact";
        var found = false;
        foreach (var text in request.Texts())
        {
            if (FindMatch(text, settings) is { } match)
            {
                if (!redact)
                {
                    return ValueTask.FromResult(PolicyDecision.Block($"The request contains '{match}', which is not allowed."));
                }
                found = true;
            }
        }
        if (!found)
        {
            return ValueTask.FromResult(PolicyDecision.Pass);
        }
        RedactMessages(request.Body, settings);
        return ValueTask.FromResult(PolicyDecision.Modified("Blocked terms in the request were redacted."));
    }

    public override ValueTask<PolicyDecision> OnResponseAsync(PolicyScope scope, ResponseText text, PolicySettings settings, CancellationToken ct)
    {
        if (settings.Text("applyTo") == "request")
        {
            return ValueTask.FromResult(PolicyDecision.Pass);
        }
        var window = text.Preceding.Length > TailChars ? text.Preceding[^TailChars..] : text.Preceding;
        if (FindMatch(window + text.Text, settings, minEnd: window.Length) is not { } match)
        {
            return ValueTask.FromResult(PolicyDecision.Pass);
        }
        return ValueTask.FromResult(settings.Text("action") == "redact"
            ? PolicyDecision.Modified($"'{match}' was redacted from the response.", Redact(text.Text, settings))
            : PolicyDecision.Block($"The response contained '{match}', which is not allowed."));
    }

    public override ValueTask<PolicyDecision> OnToolCallAsync(PolicyScope scope, ProposedToolCall toolCall, PolicySettings settings, CancellationToken ct) =>
        ValueTask.FromResult(settings.Text("applyTo") != "request" && FindMatch($"{toolCall.Name} {toolCall.Arguments}", settings) is { } match
            ? PolicyDecision.Block($"The call to '{toolCall.Name}' contains '{match}', which is not allowed.")
            : PolicyDecision.Pass);

    /// <summary>The first match that ends after <paramref name="minEnd"/> (so text already checked is not reported again).</summary>
    private static string? FindMatch(string text, PolicySettings settings, int minEnd = 0)
    {
        foreach (var term in settings.TextList("terms"))
        {
            if (term.Length == 0)
            {
                continue;
            }
            var at = text.IndexOf(term, Math.Max(0, minEnd - term.Length + 1), StringComparison.OrdinalIgnoreCase);
            if (at >= 0)
            {
                return term;
            }
        }
        foreach (var pattern in settings.TextList("patterns"))
        {
            try
            {
                for (var m = Regex(pattern).Match(text); m.Success; m = m.NextMatch())
                {
                    if (m.Index + m.Length > minEnd)
                    {
                        return m.Value;
                    }
                }
            }
            catch (RegexMatchTimeoutException)
            {
                return $"/{pattern}/ (too slow to check)";
            }
        }
        return null;
    }

    private static string Redact(string text, PolicySettings settings)
    {
        var replacement = settings.Text("replacement");
        foreach (var term in settings.TextList("terms").Where(t => t.Length > 0))
        {
            text = text.Replace(term, replacement, StringComparison.OrdinalIgnoreCase);
        }
        foreach (var pattern in settings.TextList("patterns"))
        {
            text = Regex(pattern).Replace(text, replacement.Replace("$", "$$", StringComparison.Ordinal));
        }
        return text;
    }

    private static void RedactMessages(JsonObject body, PolicySettings settings)
    {
        foreach (var message in (body["messages"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (message["content"] is JsonValue v && v.TryGetValue<string>(out var text))
            {
                message["content"] = Redact(text, settings);
            }
            else if (message["content"] is JsonArray parts)
            {
                foreach (var part in parts.OfType<JsonObject>())
                {
                    if (part["text"] is JsonValue t && t.TryGetValue<string>(out var partText))
                    {
                        part["text"] = Redact(partText, settings);
                    }
                }
            }
        }
    }

    private static Regex Regex(string pattern)
    {
        if (Compiled.Count > 1000)
        {
            Compiled.Clear(); // patterns come from admins; keep the cache bounded all the same
        }
        return Compiled.GetOrAdd(pattern, p => new Regex(p, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, MatchTimeout));
    }

    private static string? RegexError(string pattern)
    {
        try
        {
            _ = Regex(pattern);
            return null;
        }
        catch (ArgumentException e)
        {
            return $"is not a valid regular expression: {e.Message}";
        }
    }
}
