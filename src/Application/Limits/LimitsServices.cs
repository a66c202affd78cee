using Microsoft.Extensions.DependencyInjection;

namespace Agents.Application.Limits;

/// <summary>Registers the tier resolver, the rate limiter and the token budgets (the options are bound by ApplicationServices).</summary>
public static class LimitsServices
{
    public static IServiceCollection AddAgentsLimits(this IServiceCollection services)
    {
        services.AddSingleton<TierResolver>();
        services.AddSingleton<RateLimiter>();
        services.AddSingleton<TokenBudgets>();
        return services;
    }
}
