using Agents.Application.Gateway.Activity;
using Agents.Application.Policies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Agents.Application.Gateway;

/// <summary>
/// Registers the policy pipeline (the built-in policies, the configuration layers, and the run engine's
/// <see cref="IToolReviewer"/> on top of the chain), the activity feed, and the gateway. Options
/// (<see cref="PolicyOptions"/>, <see cref="GatewayOptions"/>, <see cref="ActivityOptions"/>) are bound by ApplicationServices.
/// </summary>
public static class GatewayServices
{
    public static IServiceCollection AddAgentsPoliciesAndGateway(this IServiceCollection services)
    {
        services.AddSingleton<UpstreamClient>();

        services.AddSingleton<Policy, ToolJudgePolicy>();
        services.AddSingleton<Policy, ContentBlocklistPolicy>();
        services.AddSingleton<Policy, SizeLimitPolicy>();
        services.AddSingleton<PolicyCatalog>();
        services.AddSingleton<FilePolicyChain>();
        services.AddSingleton<PolicyConfiguration>();
        services.AddSingleton<IValidateOptions<PolicyOptions>, FilePolicyChainValidator>();
        services.AddSingleton<PolicyEngine>();
        services.AddSingleton<IToolReviewer, PolicyToolReviewer>();

        services.AddSingleton<ActivityFeed>();
        services.AddSingleton<ActivityStore>();
        services.AddSingleton<ActivityStreamer>();
        services.AddHostedService<ActivityWriter>();

        services.AddSingleton<ChatGateway>();
        services.AddSingleton<GatewayModels>();
        return services;
    }
}
