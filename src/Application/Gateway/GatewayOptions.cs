using System.ComponentModel.DataAnnotations;

namespace Agents.Application.Gateway;

/// <summary>
/// The gateway (section <c>Gateway</c>). It forwards to the endpoint of <c>Model</c> (same endpoint, key or Entra
/// identity, and fallback deployment as agent runs).
/// </summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>
    /// The models that <c>GET .../models</c> lists. Empty: the upstream endpoint's own list (with Azure OpenAI, which
    /// lists base models rather than deployments, set this to the deployment names).
    /// </summary>
    public List<string> Models { get; set; } = [];

    /// <summary>Requested model → deployment, e.g. <c>"claude-sonnet-4-5": "gpt-4.1"</c> for clients that insist on a name.</summary>
    public Dictionary<string, string> ModelAliases { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Longest wait for the response headers, and for the whole of an answer that is not streamed.</summary>
    [Range(1, 3600)]
    public int TimeoutSeconds { get; set; } = 300;

    /// <summary>Longest gap between two chunks of a stream before it is given up.</summary>
    [Range(1, 3600)]
    public int StreamIdleSeconds { get; set; } = 120;
}
