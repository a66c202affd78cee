using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Agents.Identity.Tests.Infrastructure;

/// <summary>
/// A real OIDC discovery + JWKS server on 127.0.0.1 (Kestrel, random port), counting the requests it serves.
/// Routes:
/// <list type="bullet">
/// <item><c>/.well-known/openid-configuration</c>: issuer = <see cref="Issuer"/>;</item>
/// <item><c>/other/.well-known/openid-configuration</c>: a second issuer sharing the same JWKS;</item>
/// <item><c>/organizations/v2.0/...</c> and <c>/{tenant}/v2.0/...</c>: Entra-shaped metadata;</item>
/// <item><c>/broken/.well-known/openid-configuration</c>: HTTP 500;</item>
/// <item><c>/jwks</c>: the published keys (public parts only).</item>
/// </list>
/// </summary>
public sealed class LocalOidcServer : IAsyncDisposable
{
    private static readonly string[] SigningAlgorithms = ["RS256"];
    private readonly Lock _gate = new();
    private readonly List<RsaSecurityKey> _published = [];
    private WebApplication? _app;
    private int _requests;
    private int _jwksRequests;

    private LocalOidcServer()
    {
    }

    /// <summary>Base address without a trailing slash, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    public string Issuer => BaseUrl;

    public string OtherIssuer => BaseUrl + "/other";

    public string BrokenIssuer => BaseUrl + "/broken";

    /// <summary>The Entra <c>Instance</c> pointing at this server.</summary>
    public string EntraInstance => BaseUrl + "/";

    public string EntraIssuer(string tenantId) => $"{BaseUrl}/{tenantId}/v2.0";

    public int Requests => Volatile.Read(ref _requests);

    public int JwksRequests => Volatile.Read(ref _jwksRequests);

    public static async Task<LocalOidcServer> StartAsync(params RsaSecurityKey[] published)
    {
        var server = new LocalOidcServer();
        server._published.AddRange(published);
        await server.StartCoreAsync();
        return server;
    }

    /// <summary>Adds a key to the JWKS (a key rotation at the provider).</summary>
    public void Publish(RsaSecurityKey key)
    {
        lock (_gate)
        {
            _published.Add(key);
        }
    }

    private async Task StartCoreAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();

        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref _requests);
            if (context.Request.Path == "/jwks")
            {
                Interlocked.Increment(ref _jwksRequests);
            }

            await next(context);
        });

        app.MapGet("/.well-known/openid-configuration", () => Discovery(Issuer));
        app.MapGet("/other/.well-known/openid-configuration", () => Discovery(OtherIssuer));
        app.MapGet("/broken/.well-known/openid-configuration", () => Results.StatusCode(500));
        // Entra's multi-tenant document names a templated issuer; tokens carry the real tenant.
        app.MapGet("/organizations/v2.0/.well-known/openid-configuration", () => Discovery(BaseUrl + "/{tenantid}/v2.0"));
        app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", (string tenant) => Discovery(EntraIssuer(tenant)));
        app.MapGet("/jwks", Jwks);

        await app.StartAsync();
        _app = app;
        BaseUrl = app.Urls.Single().TrimEnd('/');
    }

    private IResult Discovery(string issuer) => Results.Json(new Dictionary<string, object>
    {
        ["issuer"] = issuer,
        ["jwks_uri"] = BaseUrl + "/jwks",
        ["id_token_signing_alg_values_supported"] = SigningAlgorithms,
    });

    private IResult Jwks()
    {
        lock (_gate)
        {
            var keys = _published.Select(key =>
            {
                var parameters = key.Rsa.ExportParameters(includePrivateParameters: false);
                return new Dictionary<string, string>
                {
                    ["kty"] = "RSA",
                    ["use"] = "sig",
                    ["alg"] = "RS256",
                    ["kid"] = key.KeyId,
                    ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                    ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
                };
            }).ToArray();
            return Results.Json(new Dictionary<string, object> { ["keys"] = keys });
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
