namespace Agents.Application.Models;

/// <summary>
/// Where the configured model endpoint answers what. Runs and the judge go through the provider's client library
/// (<see cref="ChatClients"/>): AzureOpenAIClient takes the resource (<see cref="Resource"/>) and uses its deployment
/// routes. The gateway and the readiness probe speak the OpenAI wire format as it is (<see cref="V1"/>): OpenAI's
/// /v1/ or an Azure resource's OpenAI-compatible /openai/v1/, which takes the deployment as "model".
/// </summary>
public sealed class ModelEndpoint
{
    private const string AzureV1Path = "openai/v1/";

    public ModelEndpoint(ModelOptions options)
    {
        var configured = WithSlash(options.Endpoint!);
        Provider = options.Provider ?? (IsAzureHost(configured.Host) ? ModelProvider.AzureOpenAI : ModelProvider.OpenAI);
        if (Provider == ModelProvider.AzureOpenAI)
        {
            // Either form may be configured: the resource, or its v1 endpoint (what this setting held before).
            var path = configured.AbsolutePath;
            Resource = path.EndsWith("/" + AzureV1Path, StringComparison.OrdinalIgnoreCase)
                ? new Uri(configured, path[..^AzureV1Path.Length])
                : configured;
            V1 = new Uri(Resource, AzureV1Path);
        }
        else
        {
            Resource = configured;
            V1 = configured;
        }
    }

    public ModelProvider Provider { get; }

    /// <summary>The base URL of the client library: the Azure resource, or the OpenAI-compatible base.</summary>
    public Uri Resource { get; }

    /// <summary>The base URL of the OpenAI wire format (chat/completions, models), ending with a slash.</summary>
    public Uri V1 { get; }

    private static Uri WithSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");

    private static bool IsAzureHost(string host) =>
        host.EndsWith(".openai.azure.com", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".cognitiveservices.azure.com", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".services.ai.azure.com", StringComparison.OrdinalIgnoreCase);
}
