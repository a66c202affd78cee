using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using Azure.AI.OpenAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace Agents.Application.Models;

/// <summary>
/// One <see cref="IChatClient"/> per deployment, over the provider's client library (<see cref="ModelEndpoint.Provider"/>):
/// Azure.AI.OpenAI's AzureOpenAIClient for an Azure OpenAI resource, the OpenAI package for anything else. Each is
/// wrapped in Microsoft.Extensions.AI's OpenTelemetry middleware (GenAI spans and metrics under
/// <see cref="TelemetrySource"/>) and logging. Both libraries send through the model HttpClient
/// (<see cref="ModelServices.HttpClientName"/>), whose handler authenticates; their own retries are off, because
/// <see cref="ModelResilience"/> is the one retry policy.
/// </summary>
public sealed class ChatClients(ModelEndpoint endpoint, IHttpClientFactory http, ILoggerFactory loggers)
{
    /// <summary>The ActivitySource and Meter of the model calls' GenAI telemetry.</summary>
    public const string TelemetrySource = "Agents.Models";

    private readonly ConcurrentDictionary<string, IChatClient> clients = new(StringComparer.Ordinal);
    private readonly Lazy<OpenAIClient> provider = new(() => CreateProvider(endpoint, http));

    public IChatClient For(string deployment) => clients.GetOrAdd(deployment, d =>
        new ChatClientBuilder(provider.Value.GetChatClient(d).AsIChatClient())
            .UseOpenTelemetry(loggers, TelemetrySource)
            .UseLogging(loggers)
            .Build());

    private static OpenAIClient CreateProvider(ModelEndpoint endpoint, IHttpClientFactory http)
    {
        // The library keeps its HttpClient for the process's life (as it keeps its pipeline): one client, made once.
        var transport = new HttpClientPipelineTransport(http.CreateClient(ModelServices.HttpClientName));
        var key = new ApiKeyCredential(ModelAuthenticationHandler.PlaceholderKey);
        if (endpoint.Provider == ModelProvider.AzureOpenAI)
        {
            return new AzureOpenAIClient(endpoint.Resource, key, new AzureOpenAIClientOptions
            {
                RetryPolicy = new ClientRetryPolicy(0),
                Transport = transport,
                NetworkTimeout = Timeout.InfiniteTimeSpan,
            });
        }
        return new OpenAIClient(key, new OpenAIClientOptions
        {
            Endpoint = endpoint.Resource,
            RetryPolicy = new ClientRetryPolicy(0),
            Transport = transport,
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        });
    }
}
