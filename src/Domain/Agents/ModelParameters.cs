using Agents.Domain.Errors;

namespace Agents.Domain.Agents;

/// <summary>Sampling parameters. A request's values override the agent's defaults, field by field.</summary>
public sealed record ModelParameters(double? Temperature = null, double? TopP = null, int? MaxTokens = null)
{
    public const int MaxTokensLimit = 32_768;

    public ModelParameters OverriddenBy(ModelParameters? request) => request is null
        ? this
        : new ModelParameters(request.Temperature ?? Temperature, request.TopP ?? TopP, request.MaxTokens ?? MaxTokens);

    /// <summary>Validates the ranges; the field name in the problem is the JSON path the client sent.</summary>
    public IEnumerable<FieldError> Validate(string prefix)
    {
        if (Temperature is < 0 or > 2)
        {
            yield return new FieldError($"{prefix}.temperature", "must be between 0 and 2");
        }
        if (TopP is < 0 or > 1)
        {
            yield return new FieldError($"{prefix}.topP", "must be between 0 and 1");
        }
        if (MaxTokens is < 1 or > MaxTokensLimit)
        {
            yield return new FieldError($"{prefix}.maxTokens", $"must be between 1 and {MaxTokensLimit}");
        }
    }
}
