using Azure.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Application.Models;

/// <summary>
/// The model endpoint's services: one named HttpClient (<see cref="HttpClientName"/>) with the one authentication
/// handler, used by the client libraries (runs, the judge), the gateway's pass-through and the readiness probe; the
/// one retry policy (<see cref="ModelResilience"/>); the chat clients and the model client over them.
/// </summary>
public static class ModelServices
{
    public const string HttpClientName = "model-endpoint";

    public static IServiceCollection AddModelEndpoint(this IServiceCollection services)
    {
        services.AddSingleton(sp => new ModelEndpoint(sp.GetRequiredService<ModelOptions>()));
        services.AddTransient(sp =>
        {
            var options = sp.GetRequiredService<ModelOptions>();
            return new ModelAuthenticationHandler(options, sp.GetRequiredService<ModelEndpoint>(), options.UseEntraId ? sp.GetRequiredService<TokenCredential>() : null);
        });
        // No client timeout: each caller has its own (a run step's, the gateway's, the probe's), and a stream may last minutes.
        // Pooled connections are renewed every 5 min (DNS changes are seen although the libraries keep their client for
        // good); the gateway's concurrency needs more than the default connections per server.
        services.AddHttpClient(HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 1024 })
            .AddHttpMessageHandler<ModelAuthenticationHandler>();
        services.AddSingleton<ModelResilience>();
        services.AddSingleton<ChatClients>();
        services.AddSingleton<ModelClient>();
        return services;
    }
}
