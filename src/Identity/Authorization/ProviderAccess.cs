using Agents.Domain.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Logging;

namespace Agents.Identity.Authorization;

/// <summary>
/// What a provider's token needs besides being valid, as an authorization policy named after the provider's scheme:
/// a delegated token (<c>scp</c>) the provider's <see cref="IdentityProviderOptions.RequiredScope"/>, an app-only
/// token the provider's <see cref="IdentityProviderOptions.RequiredAppRole"/> (and none at all when unset).
/// </summary>
internal sealed class ProviderAccessRequirement(IdentityProviderOptions provider) : IAuthorizationRequirement
{
    public IdentityProviderOptions Provider { get; } = provider;
}

/// <summary>Why <see cref="ProviderAccessRequirement"/> failed, with the scope (or app role) that would grant access.</summary>
internal sealed class InsufficientScopeReason(IAuthorizationHandler handler, string description, string? scope)
    : AuthorizationFailureReason(handler, description)
{
    public string? Scope { get; } = scope;
}

/// <summary>Checks <see cref="ProviderAccessRequirement"/> against the caller's claims (<see cref="CallerClaims"/>).</summary>
internal sealed partial class ProviderAccessHandler(ILogger<ProviderAccessHandler> logger) : AuthorizationHandler<ProviderAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ProviderAccessRequirement requirement)
    {
        if (CallerClaims.ToCaller(context.User) is not { } caller)
        {
            return Task.CompletedTask;
        }

        var provider = requirement.Provider;
        var refusal = caller.Kind switch
        {
            CallerKind.User when provider.RequiredScope is { } scope && !caller.Scopes.Contains(scope, StringComparer.Ordinal) =>
                ("MissingScope", $"The token lacks the scope '{scope}'.", scope),
            CallerKind.Application when provider.RequiredAppRole is null =>
                ("AppOnlyNotAccepted", "App-only tokens are not accepted from this provider.", provider.RequiredScope),
            CallerKind.Application when !caller.Roles.Contains(provider.RequiredAppRole, StringComparer.Ordinal) =>
                ("MissingAppRole", $"The token lacks the app role '{provider.RequiredAppRole}'.", provider.RequiredAppRole),
            _ => default((string Reason, string Description, string? Scope)?),
        };
        if (refusal is not { } refused)
        {
            context.Succeed(requirement);
            return Task.CompletedTask;
        }

        LogInsufficient(provider.Name, caller.UserId, refused.Reason);
        context.Fail(new InsufficientScopeReason(this, refused.Description, refused.Scope));
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Access token of {UserId} from provider {Provider} refused: {Reason}")]
    private partial void LogInsufficient(string provider, string userId, string reason);
}
