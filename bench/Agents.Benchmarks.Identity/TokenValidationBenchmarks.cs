using System.Security.Cryptography;
using Agents.Identity;
using Agents.Identity.ApiKeys;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Agents.Benchmarks.Identity;

/// <summary>
/// <see cref="CallerAuthenticator.AuthenticateAsync"/> of a good RS256 bearer token with the keys already cached
/// (the provider's JwtBearer scheme and policy): the cost every authenticated request pays. Keys come from a local
/// discovery + JWKS server on 127.0.0.1.
/// </summary>
[MemoryDiagnoser]
public class TokenValidationBenchmarks
{
    private WebApplication? _server;
    private ServiceProvider? _services;
    private RSA? _rsa;
    private CallerAuthenticator _authenticator = null!;
    private string _token = "";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(_rsa) { KeyId = "bench" };
        var issuer = await StartServerAsync(key);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Identity:Providers:0:Name"] = "bench",
            ["Identity:Providers:0:Kind"] = "Oidc",
            ["Identity:Providers:0:Issuer"] = issuer,
            ["Identity:Providers:0:Audiences:0"] = "api://agents",
            ["Identity:Providers:0:RequiredScope"] = "Agents.Use",
            ["Identity:Providers:0:RequireHttpsMetadata"] = "false",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IApiKeyStore, NoApiKeys>();
        services.AddAgentsIdentity(configuration);
        _services = services.BuildServiceProvider();
        _authenticator = _services.GetRequiredService<CallerAuthenticator>();

        _token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = "api://agents",
            Expires = DateTime.UtcNow.AddHours(12),
            TokenType = "at+jwt",
            Claims = new Dictionary<string, object> { ["sub"] = "user-1", ["name"] = "Bench", ["scp"] = "Agents.Use" },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });

        var warm = await AuthenticateAsync();
        if (!warm.Succeeded)
        {
            throw new InvalidOperationException($"Benchmark token rejected: {warm.Problem.Detail}");
        }
    }

    [Benchmark]
    public async Task<bool> ValidateGoodToken() => (await AuthenticateAsync()).Succeeded;

    private async Task<AuthenticationOutcome> AuthenticateAsync()
    {
        await using var scope = _services!.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Headers.Authorization = "Bearer " + _token;
        return await _authenticator.AuthenticateAsync(context.Request, CancellationToken.None);
    }

    /// <summary>Only owner profiles are written (once, for the benchmark's user); no key is ever looked up.</summary>
    private sealed class NoApiKeys : IApiKeyStore
    {
        public Task CreateAsync(ApiKeyRecord key, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ApiKeyRecord?> FindAsync(string keyId, CancellationToken cancellationToken) => Task.FromResult<ApiKeyRecord?>(null);

        public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string ownerUserId, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ApiKeyRecord>>([]);

        public Task<bool> DeleteAsync(string ownerUserId, string keyId, CancellationToken cancellationToken) => Task.FromResult(false);

        public Task<OwnerProfile?> FindOwnerAsync(string userId, CancellationToken cancellationToken) => Task.FromResult<OwnerProfile?>(null);

        public Task<OwnerProfile> SaveOwnerAsync(OwnerProfile profile, CancellationToken cancellationToken) => Task.FromResult(profile);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        _rsa?.Dispose();
    }

    private async Task<string> StartServerAsync(RsaSecurityKey key)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var parameters = key.Rsa.ExportParameters(includePrivateParameters: false);
        var jwk = new Dictionary<string, string>
        {
            ["kty"] = "RSA",
            ["kid"] = key.KeyId,
            ["use"] = "sig",
            ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
            ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
        };
        string baseUrl = "";
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, string>
        {
            ["issuer"] = baseUrl,
            ["jwks_uri"] = baseUrl + "/jwks",
        }));
        app.MapGet("/jwks", () => Results.Json(new Dictionary<string, object> { ["keys"] = new[] { jwk } }));
        await app.StartAsync();
        _server = app;
        baseUrl = app.Urls.Single().TrimEnd('/');
        return baseUrl;
    }
}
