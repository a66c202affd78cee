using System.ComponentModel.DataAnnotations;

namespace Agents.Application.Models;

/// <summary>Which client library speaks to the endpoint (<see cref="ModelOptions.Provider"/>).</summary>
public enum ModelProvider
{
    /// <summary>OpenAI or any OpenAI-compatible server (the simulator, vLLM, Ollama): the OpenAI package.</summary>
    OpenAI,

    /// <summary>An Azure OpenAI resource: Azure.AI.OpenAI's AzureOpenAIClient (deployment routes, api-key or Entra).</summary>
    AzureOpenAI,
}

/// <summary>
/// The model endpoint: an Azure OpenAI resource (https://RESOURCE.openai.azure.com/, or its v1 endpoint
/// .../openai/v1/), OpenAI, or any OpenAI-compatible server (the local simulator by default). See <see cref="ModelEndpoint"/>.
/// </summary>
public sealed class ModelOptions
{
    public const string Section = "Model";

    [Required]
    public Uri? Endpoint { get; set; }

    /// <summary>Unset: <see cref="ModelProvider.AzureOpenAI"/> for an Azure OpenAI host name, else <see cref="ModelProvider.OpenAI"/>.</summary>
    public ModelProvider? Provider { get; set; }

    /// <summary>API key (OpenAI, a keyed Azure resource, or anything for the simulator).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Use an Entra token (managed identity) instead of a key: Azure OpenAI with local auth disabled.</summary>
    public bool UseEntraId { get; set; }

    /// <summary>The deployment (model name) agents use unless they name another.</summary>
    [Required]
    public string Deployment { get; set; } = "";

    /// <summary>Tried once when the primary deployment fails for good or its circuit is open.</summary>
    public string? FallbackDeployment { get; set; }

    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>First retry delay; doubles each attempt, with jitter. Retry-After wins when the server sends it.</summary>
    [Range(10, 60_000)]
    public int RetryBaseDelayMilliseconds { get; set; } = 500;

    /// <summary>Longest Retry-After honoured; a longer one fails the call instead of parking a worker.</summary>
    [Range(1, 600)]
    public int MaxRetryAfterSeconds { get; set; } = 60;

    /// <summary>
    /// The fewest attempts on a deployment within <see cref="CircuitBreakerSamplingSeconds"/> that open its circuit,
    /// when 90 % of them failed (429, 5xx, timeouts, broken connections).
    /// </summary>
    [Range(2, 1000)]
    public int CircuitBreakerMinimumThroughput { get; set; } = 10;

    /// <summary>
    /// The window over which the circuit judges a deployment's attempts. Short, because the window's successes outvote
    /// its failures: under steady traffic, a deployment that starts failing every call has its circuit opened only
    /// after most of a window has passed, however many calls it served before.
    /// </summary>
    [Range(1, 600)]
    public int CircuitBreakerSamplingSeconds { get; set; } = 10;

    [Range(1, 3600)]
    public int CircuitBreakerBreakSeconds { get; set; } = 30;
}
