using Agents.Domain.Identity;

namespace Agents.Identity.ApiKeys;

/// <summary>
/// What an API key may be used for. Every route names the scope a key needs (Agents.Application's
/// <c>KeyScopes.For</c>); an access token is not limited by these, only by its own scopes and roles.
/// <list type="bullet">
/// <item><see cref="Read"/>: reading the caller's threads, messages, runs, events, agents and usage.</item>
/// <item><see cref="Runs"/>: <see cref="Read"/>, and changing them: threads, messages, runs, cancels, approvals,
/// agents, revoking keys.</item>
/// <item><see cref="Gateway"/>: the OpenAI- and Anthropic-compatible gateway.</item>
/// <item><see cref="Admin"/>: the admin routes, and what else the admin role allows (shared agents); only while the
/// key's owner has the admin role (<see cref="Caller.IsAdmin"/>).</item>
/// </list>
/// </summary>
public static class ApiKeyScopes
{
    public const string Read = "read";
    public const string Runs = "runs";
    public const string Gateway = "gateway";
    public const string Admin = Caller.AdminKeyScope;

    public static readonly IReadOnlyList<string> All = [Read, Runs, Gateway, Admin];

    /// <summary>What a key gets when its creator names no scopes: everything but <see cref="Admin"/>, which is asked for.</summary>
    public static readonly IReadOnlyList<string> Default = [Read, Runs, Gateway];

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);

    /// <summary>
    /// The scopes a stored key acts with. Keys made before scopes existed carry the owner's token scopes (such as
    /// <c>Agents.Access</c>) and none of ours: they act with <see cref="Default"/>, what they could do then, except admin.
    /// </summary>
    public static IReadOnlyList<string> Effective(IReadOnlyList<string> stored) =>
        stored.Any(IsKnown) ? [.. stored.Where(IsKnown)] : Default;

    /// <summary>Whether a key with <paramref name="scopes"/> may use a route that needs <paramref name="required"/>.</summary>
    public static bool Grants(IReadOnlyList<string> scopes, string required) =>
        scopes.Contains(required, StringComparer.Ordinal)
        || (required == Read && scopes.Contains(Runs, StringComparer.Ordinal));
}
