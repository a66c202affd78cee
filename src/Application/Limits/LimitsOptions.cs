using System.ComponentModel.DataAnnotations;

namespace Agents.Application.Limits;

/// <summary>
/// What one tier allows: request rates per minute (fixed one-minute windows) and token budgets per UTC day and month.
/// Bound from <c>Limits:Tiers:&lt;name&gt;</c>; a setting left out keeps the built-in value of that tier.
/// </summary>
public sealed class TierLimits
{
    /// <summary>Requests that cost money: run creation and gateway calls.</summary>
    public int CostlyRequestsPerMinute { get; set; }

    /// <summary>Every other request under /api/v1.</summary>
    public int RequestsPerMinute { get; set; }

    /// <summary>Model tokens (prompt + completion) per UTC day.</summary>
    public long TokensPerDay { get; set; }

    /// <summary>Model tokens per UTC calendar month.</summary>
    public long TokensPerMonth { get; set; }

    /// <summary>
    /// Optional daily token limits per agent: an agent id, or <c>*</c> for every agent without an entry of its own.
    /// Empty: no per-agent limit (the user's budget still applies).
    /// </summary>
    public Dictionary<string, long> AgentTokensPerDay { get; } = new(StringComparer.Ordinal);

    /// <summary>The daily limit for <paramref name="agentId"/>, or null when the tier sets none.</summary>
    public long? AgentLimit(string? agentId) =>
        agentId is not null && AgentTokensPerDay.TryGetValue(agentId, out var own) ? own
        : agentId is not null && AgentTokensPerDay.TryGetValue("*", out var any) ? any
        : null;

    internal TierLimits(int costly, int requests, long day, long month)
    {
        CostlyRequestsPerMinute = costly;
        RequestsPerMinute = requests;
        TokensPerDay = day;
        TokensPerMonth = month;
    }

    public TierLimits()
    {
    }
}

/// <summary>
/// Settings under <c>Limits</c> (the request size limits are <c>Limits:Requests</c>, see <see cref="Http.RequestLimits"/>).
/// Checked at start-up: every tier must have positive limits and <see cref="DefaultTier"/> must name one.
/// </summary>
public sealed class LimitsOptions : IValidatableObject
{
    public const string Section = "Limits";

    public const string Free = "free";
    public const string Standard = "standard";
    public const string Admin = "admin";

    /// <summary>The tier of a user with no admin setting, no tier claim and no admin role.</summary>
    [Required]
    public string DefaultTier { get; set; } = Standard;

    /// <summary>Tiers by name (case-insensitive). free, standard and admin exist out of the box; more can be added.</summary>
    public Dictionary<string, TierLimits> Tiers { get; } = new(StringComparer.OrdinalIgnoreCase)
    {
        [Free] = new TierLimits(costly: 10, requests: 300, day: 50_000, month: 1_000_000),
        [Standard] = new TierLimits(costly: 120, requests: 3_000, day: 1_000_000, month: 20_000_000),
        [Admin] = new TierLimits(costly: 1_200, requests: 30_000, day: 20_000_000, month: 400_000_000),
    };

    /// <summary>Completion tokens reserved for a model call that sets no max_tokens.</summary>
    [Range(1, 1_000_000)]
    public int DefaultReservedOutputTokens { get; set; } = 4_096;

    /// <summary>How long an instance trusts a user's stored tier before reading it again (an admin change reaches other instances within this).</summary>
    [Range(0, 3600)]
    public int TierCacheSeconds { get; set; } = 30;

    /// <summary>A reservation not settled within this time (a call whose process died) stops holding budget back.</summary>
    [Range(60, 7 * 24 * 3600)]
    public int ReservationTimeoutSeconds { get; set; } = 1_800;

    /// <summary>The tier of that name, or null.</summary>
    public TierLimits? Find(string? name) => name is not null && Tiers.TryGetValue(name, out var tier) ? tier : null;

    /// <summary>The configured spelling of a tier name (configuration keys are case-insensitive).</summary>
    public string? CanonicalName(string? name) => name is null ? null : Tiers.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Find(DefaultTier) is null)
        {
            yield return new ValidationResult($"names no tier; configured tiers: {string.Join(", ", Tiers.Keys.Order(StringComparer.Ordinal))}", [nameof(DefaultTier)]);
        }
        foreach (var (name, tier) in Tiers)
        {
            if (name.Length is 0 or > 40 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                yield return new ValidationResult("a tier name has 1 to 40 letters, digits, '-' or '_'", [$"Tiers:{name}"]);
            }
            if (tier.CostlyRequestsPerMinute < 1)
            {
                yield return new ValidationResult("must be at least 1", [$"Tiers:{name}:CostlyRequestsPerMinute"]);
            }
            if (tier.RequestsPerMinute < 1)
            {
                yield return new ValidationResult("must be at least 1", [$"Tiers:{name}:RequestsPerMinute"]);
            }
            if (tier.TokensPerDay < 1)
            {
                yield return new ValidationResult("must be at least 1", [$"Tiers:{name}:TokensPerDay"]);
            }
            if (tier.TokensPerMonth < tier.TokensPerDay)
            {
                yield return new ValidationResult("must be at least TokensPerDay", [$"Tiers:{name}:TokensPerMonth"]);
            }
            foreach (var (agent, limit) in tier.AgentTokensPerDay.Where(a => a.Value < 1))
            {
                yield return new ValidationResult($"must be at least 1 (is {limit})", [$"Tiers:{name}:AgentTokensPerDay:{agent}"]);
            }
        }
    }
}
