using System.Globalization;

namespace Agents.Application.Policies;

/// <summary>
/// Size and verbosity limits: the characters of a request's messages, the output tokens a request may ask for
/// (lowered to the limit, or refused), and the size of a tool call's arguments. 0 switches a limit off.
/// </summary>
public sealed class SizeLimitPolicy : Policy
{
    public const string PolicyName = "size-limit";

    private static readonly SettingsSchema Settings = new(
    [
        SettingField.WholeNumber("maxInputChars", "Most characters of message text (and tool call arguments) in a request; 0 = no limit.", 0, 0, 100_000_000),
        SettingField.WholeNumber("maxOutputTokens", "Most output tokens a request may ask for; a request that asks for none gets this limit. 0 = no limit.", 0, 0, 10_000_000),
        SettingField.Choice("outputMode", "clamp: lower max_tokens to the limit; block: refuse a request that asks for more.", "clamp", "clamp", "block"),
        SettingField.WholeNumber("maxToolArgumentChars", "Most characters of a proposed tool call's arguments; 0 = no limit.", 0, 0, 10_000_000),
    ]);

    public override string Name => PolicyName;

    public override string Description => "Limits the size of requests, the output tokens they may ask for, and the size of tool call arguments.";

    public override IReadOnlyList<PolicyStage> Stages { get; } = [PolicyStage.Request, PolicyStage.ToolCall];

    public override SettingsSchema Schema => Settings;

    public override ValueTask<PolicyDecision> OnRequestAsync(PolicyScope scope, PolicyRequest request, PolicySettings settings, CancellationToken ct)
    {
        var maxInput = settings.WholeNumber("maxInputChars");
        if (maxInput > 0 && request.InputChars is var chars && chars > maxInput)
        {
            return Result(PolicyDecision.Block(string.Create(CultureInfo.InvariantCulture, $"The request has {chars} characters of text; the limit is {maxInput}.")));
        }
        var maxOutput = settings.WholeNumber("maxOutputTokens");
        if (maxOutput <= 0)
        {
            return Result(PolicyDecision.Pass);
        }
        var asked = request.MaxOutputTokens;
        if (asked is { } n && n <= maxOutput)
        {
            return Result(PolicyDecision.Pass);
        }
        if (asked is { } more && settings.Text("outputMode") == "block")
        {
            return Result(PolicyDecision.Block(string.Create(CultureInfo.InvariantCulture, $"The request asks for {more} output tokens; the limit is {maxOutput}.")));
        }
        request.MaxOutputTokens = maxOutput;
        return Result(PolicyDecision.Modified(string.Create(CultureInfo.InvariantCulture, $"max_tokens set to the limit of {maxOutput} (asked: {asked?.ToString(CultureInfo.InvariantCulture) ?? "none"}).")));
    }

    public override ValueTask<PolicyDecision> OnToolCallAsync(PolicyScope scope, ProposedToolCall toolCall, PolicySettings settings, CancellationToken ct)
    {
        var max = settings.WholeNumber("maxToolArgumentChars");
        return Result(max > 0 && toolCall.Arguments.Length > max
            ? PolicyDecision.Block(string.Create(CultureInfo.InvariantCulture, $"The call to '{toolCall.Name}' has {toolCall.Arguments.Length} characters of arguments; the limit is {max}."))
            : PolicyDecision.Pass);
    }

    private static ValueTask<PolicyDecision> Result(PolicyDecision decision) => ValueTask.FromResult(decision);
}
