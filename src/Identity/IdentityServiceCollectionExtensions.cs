using Agents.Identity.ApiKeys;
using Agents.Identity.Authorization;
using Agents.Identity.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Agents.Identity;

public static class IdentityServiceCollectionExtensions
{
    /// <summary>The named HttpClient that fetches discovery documents and JWKS (10 s timeout, 1 MiB cap).</summary>
    public const string MetadataHttpClientName = "Agents.Identity.Metadata";

    /// <summary>
    /// Registers <see cref="IdentityOptions"/> (section <c>Identity</c>, validated at start-up), ASP.NET Core
    /// authentication with one JwtBearer scheme per provider and the API-key scheme, authorization with one policy per
    /// provider, <see cref="ApiKeyService"/> and <see cref="CallerAuthenticator"/>. An <see cref="IApiKeyStore"/> must be registered as well, for example with
    /// <see cref="AddCosmosApiKeyStore"/>.
    /// </summary>
    public static IServiceCollection AddAgentsIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<IdentityOptions>()
            .Bind(configuration.GetSection(IdentityOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IdentityOptions>, IdentityOptionsValidator>());

        services.AddHttpClient(MetadataHttpClientName, client =>
        {
            client.Timeout = TimeSpan.FromSeconds(10);
            client.MaxResponseContentBufferSize = 1024 * 1024;
        });

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IdentityProviders>();
        AddSchemesAndPolicies(services, configuration.GetSection(IdentityOptions.SectionName).Get<IdentityOptions>() ?? new IdentityOptions());
        services.TryAddSingleton<OwnerProfiles>();
        services.TryAddSingleton<ApiKeyService>();
        services.TryAddSingleton<CallerAuthenticator>();
        return services;
    }

    /// <summary>
    /// The schemes and policies are named at registration, so they come from the configuration as bound now; a
    /// provider without a name or kind (refused at start by the options validation) gets none.
    /// </summary>
    private static void AddSchemesAndPolicies(IServiceCollection services, IdentityOptions settings)
    {
        var authentication = services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        var providers = settings.Providers
            .Where(p => !string.IsNullOrWhiteSpace(p.Name) && p.Kind is not null)
            .DistinctBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
            .ToArray();
        foreach (var provider in providers)
        {
            ProviderSchemes.Add(authentication, provider, settings);
        }

        services.AddAuthorizationCore(options =>
        {
            options.AddPolicy(IdentityPolicies.Admin, policy => policy
                .RequireAuthenticatedUser()
                .RequireAssertion(context => CallerClaims.ToCaller(context.User)?.IsAdmin == true));
            foreach (var provider in providers)
            {
                options.AddPolicy(ProviderSchemes.NameOf(provider), policy => policy
                    .RequireAuthenticatedUser()
                    .AddRequirements(new ProviderAccessRequirement(provider)));
            }
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, ProviderAccessHandler>());
    }

    /// <summary>Stores API keys in the given Cosmos DB container (<c>apikeys</c>, partition key path <c>/pk</c>).</summary>
    public static IServiceCollection AddCosmosApiKeyStore(this IServiceCollection services, Func<IServiceProvider, Container> container)
    {
        ArgumentNullException.ThrowIfNull(container);
        services.TryAddSingleton<IApiKeyStore>(sp => new CosmosApiKeyStore(container(sp)));
        return services;
    }
}

/// <summary>Fails start-up with every bad <c>Identity</c> setting named (see <see cref="IdentityOptions.Validate"/>).</summary>
internal sealed class IdentityOptionsValidator : IValidateOptions<IdentityOptions>
{
    public ValidateOptionsResult Validate(string? name, IdentityOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
