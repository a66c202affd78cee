using Agents.Identity.ApiKeys;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Identity.Tests.Infrastructure;

/// <summary>The real registration (<c>AddAgentsIdentity</c>) over in-memory configuration.</summary>
public sealed class IdentityServices : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private IdentityServices(IDictionary<string, string?> settings, IApiKeyStore? store, TimeProvider? time)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        // As every ASP.NET Core host has them: Microsoft.Identity.Web reads the configuration and registers the
        // authorization middleware's services, which need routing's (ValidateOnBuild checks them).
        services.AddSingleton<IConfiguration>(configuration);
        services.AddRouting();
        services.AddSingleton(store ?? new InMemoryApiKeyStore());
        services.AddAgentsIdentity(configuration);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>A factory rather than a public constructor: test classes hold it and dispose it in <c>DisposeAsync</c>.</summary>
    public static IdentityServices Create(IDictionary<string, string?> settings, IApiKeyStore? store = null, TimeProvider? time = null) =>
        new(settings, store, time);

    /// <summary>Access tokens through the whole stack (<see cref="CallerAuthenticator"/>, JwtBearer, policies), as a Bearer header.</summary>
    public BearerTokens Validator => new(this);

    /// <summary>A request in its own service scope, as ASP.NET Core gives one (the authentication service is scoped).</summary>
    public HttpContext NewContext()
    {
        var scope = _services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Response.RegisterForDisposeAsync(scope);
        return context;
    }

    public ApiKeyService ApiKeys => _services.GetRequiredService<ApiKeyService>();

    public CallerAuthenticator Authenticator => _services.GetRequiredService<CallerAuthenticator>();

    public IApiKeyStore Store => _services.GetRequiredService<IApiKeyStore>();

    /// <summary>One Oidc provider named "local" on the server, requiring <see cref="TestTokens.Scope"/> / <see cref="TestTokens.AppRole"/>.</summary>
    public static Dictionary<string, string?> OidcSettings(string issuer, int refreshSeconds = 30) => new()
    {
        ["Identity:ClockSkewSeconds"] = "30",
        ["Identity:KeyRefreshMinIntervalSeconds"] = refreshSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Identity:Providers:0:Name"] = "local",
        ["Identity:Providers:0:Kind"] = "Oidc",
        ["Identity:Providers:0:Issuer"] = issuer,
        ["Identity:Providers:0:Audiences:0"] = TestTokens.Audience,
        ["Identity:Providers:0:RequiredScope"] = TestTokens.Scope,
        ["Identity:Providers:0:RequiredAppRole"] = TestTokens.AppRole,
        ["Identity:Providers:0:RequireHttpsMetadata"] = "false",
    };

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    /// <summary>Validates one token per call, each in a fresh request.</summary>
    public sealed class BearerTokens(IdentityServices identity)
    {
        public Task<AuthenticationOutcome> ValidateAsync(string token, CancellationToken cancellationToken)
        {
            var context = identity.NewContext();
            context.Request.Headers.Authorization = "Bearer " + token;
            return identity.Authenticator.AuthenticateAsync(context.Request, cancellationToken);
        }
    }
}
