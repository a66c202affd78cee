using Agents.Application.Gateway.Activity;
using Agents.Application.Models;
using Agents.Application.Policies;
using Azure.Core;
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
        services.AddHttpClient(UpstreamClient.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 1024 });
        services.AddSingleton(sp =>
        {
            var model = sp.GetRequiredService<ModelOptions>();
            return new UpstreamClient(sp.GetRequiredService<IHttpClientFactory>(), model, model.UseEntraId ? sp.GetRequiredService<TokenCredential>() : null);
        });

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
