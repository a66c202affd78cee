using Agents.Application.Gateway;
using Agents.Identity.ApiKeys;
using Microsoft.AspNetCore.Http;

namespace Agents.Application.Http;

/// <summary>
/// The API-key scope (<see cref="ApiKeyScopes"/>) each route needs, for the whole surface in one table, checked by
/// <see cref="CallerAuthentication.AuthenticateAsync"/> right after the key is accepted. Access tokens are not
/// limited by it.
/// </summary>
public static class KeyScopes
{
    private const string AdminPrefix = ApiPaths.Prefix + "/admin";
    private const string MePath = ApiPaths.Prefix + "/me";

    /// <summary>The scope a key needs for <paramref name="request"/>; null when any key may (who am I).</summary>
    public static string? For(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return For(request.Path, request.Method);
    }

    /// <summary>The scope a key needs for <paramref name="method"/> on <paramref name="path"/> (the OpenAPI document lists it per operation).</summary>
    public static string? For(PathString path, string method)
    {
        if (path.StartsWithSegments(GatewayRoutes.OpenAiPrefix) || path.StartsWithSegments(GatewayRoutes.AnthropicPrefix))
        {
            return ApiKeyScopes.Gateway;
        }
        if (path.StartsWithSegments(AdminPrefix))
        {
            return ApiKeyScopes.Admin;
        }
        if (path.Equals(MePath, StringComparison.OrdinalIgnoreCase) || path.Equals(MePath + "/", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        return HttpMethods.IsGet(method) || HttpMethods.IsHead(method) ? ApiKeyScopes.Read : ApiKeyScopes.Runs;
    }
}
