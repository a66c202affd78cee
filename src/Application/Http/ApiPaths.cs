namespace Agents.Application.Http;

/// <summary>
/// Paths of the API. Everything under <see cref="Prefix"/> requires a caller and is rate limited, and
/// <see cref="Prefix"/>/admin also the admin role (HttpPipelineMiddleware in src/Functions runs those steps); health is
/// open. The gateway's prefixes are in <see cref="Gateway.GatewayRoutes"/>.
/// </summary>
public static class ApiPaths
{
    public const string Prefix = "/api/v1";
}
