using System.Security.Cryptography;
using Agents.Identity;
using Agents.Identity.Tokens;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Agents.Benchmarks.Identity;

/// <summary>
/// <see cref="AccessTokenValidator.ValidateAsync"/> of a good RS256 token with the keys already cached: the cost
/// every authenticated request pays. Keys come from a local discovery + JWKS server on 127.0.0.1.
/// </summary>
[MemoryDiagnoser]
public class TokenValidationBenchmarks
{
    private WebApplication? _server;
    private ServiceProvider? _services;
    private RSA? _rsa;
    private AccessTokenValidator _validator = null!;
    private string _token = "";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(_rsa) { KeyId = "bench" };
        var issuer = await StartServerAsync(key);

        _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        var options = new IdentityOptions();
        var provider = new IdentityProviderOptions
        {
            Name = "bench",
            Kind = IdentityProviderKind.Oidc,
            Issuer = issuer,
            RequiredScope = "Agents.Use",
            RequireHttpsMetadata = false,
        };
        provider.Audiences.Add("api://agents");
        options.Providers.Add(provider);
        _validator = new AccessTokenValidator(
            Options.Create(options), _services.GetRequiredService<IHttpClientFactory>(), TimeProvider.System,
            NullLogger<AccessTokenValidator>.Instance);

        _token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = "api://agents",
            Expires = DateTime.UtcNow.AddHours(12),
            TokenType = "at+jwt",
            Claims = new Dictionary<string, object> { ["sub"] = "user-1", ["name"] = "Bench", ["scp"] = "Agents.Use" },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });

        var warm = await _validator.ValidateAsync(_token, CancellationToken.None);
        if (!warm.Succeeded)
        {
            throw new InvalidOperationException($"Benchmark token rejected: {warm.Problem.Detail}");
        }
    }

    [Benchmark]
    public async Task<bool> ValidateGoodToken() => (await _validator.ValidateAsync(_token, CancellationToken.None)).Succeeded;

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
