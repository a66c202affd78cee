using Agents.Identity.ApiKeys;
using Agents.Identity.Tokens;
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
    /// Registers <see cref="IdentityOptions"/> (section <c>Identity</c>, validated at start-up),
    /// <see cref="AccessTokenValidator"/>, <see cref="ApiKeyService"/> and <see cref="CallerAuthenticator"/>, all
    /// singletons. An <see cref="IApiKeyStore"/> must be registered as well, for example with
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
        services.TryAddSingleton<AccessTokenValidator>();
        services.TryAddSingleton<OwnerProfiles>();
        services.TryAddSingleton<ApiKeyService>();
        services.TryAddSingleton<CallerAuthenticator>();
        return services;
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
