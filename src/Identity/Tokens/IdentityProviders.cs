using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace Agents.Identity.Tokens;

/// <summary>An exact issuer, the provider that trusts it, its JwtBearer scheme and keys, and for Entra the tenant it names.</summary>
internal sealed record TrustedIssuer(string Issuer, IdentityProviderOptions Provider, string Scheme, SigningKeySource Keys, Guid? EntraTenant);

/// <summary>
/// The configured providers by exact issuer, so that a token's unvalidated <c>iss</c> picks its JwtBearer scheme
/// without a network call (an issuer no provider trusts never reaches one), and each scheme's signing keys.
/// </summary>
internal sealed class IdentityProviders
{
    private readonly FrozenDictionary<string, TrustedIssuer> _issuers;
    private readonly FrozenDictionary<string, SigningKeySource> _keys;

    public IdentityProviders(IOptions<IdentityOptions> options, IHttpClientFactory httpClients, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        var refreshInterval = TimeSpan.FromSeconds(settings.KeyRefreshMinIntervalSeconds);
        var issuers = new Dictionary<string, TrustedIssuer>(StringComparer.Ordinal);
        var keys = new Dictionary<string, SigningKeySource>(StringComparer.Ordinal);
        foreach (var provider in settings.Providers)
        {
            var scheme = ProviderSchemes.NameOf(provider);
            var source = new SigningKeySource(
                provider.ResolvedMetadataAddress,
                new MetadataDocumentRetriever(httpClients, provider.RequireHttpsMetadata),
                refreshInterval,
                time);
            keys[scheme] = source;
            foreach (var issuer in provider.TrustedIssuers())
            {
                var tenant = provider.Kind == IdentityProviderKind.Entra
                    ? Guid.Parse(issuer.AsSpan(provider.EntraInstance.Length, 36))
                    : (Guid?)null;
                issuers.Add(issuer, new TrustedIssuer(issuer, provider, scheme, source, tenant));
            }
        }

        _issuers = issuers.ToFrozenDictionary(StringComparer.Ordinal);
        _keys = keys.ToFrozenDictionary(StringComparer.Ordinal);
        TierClaim = settings.TierClaim;
    }

    public string TierClaim { get; }

    public TrustedIssuer? Find(string? issuer) => issuer is not null && _issuers.TryGetValue(issuer, out var trusted) ? trusted : null;

    public SigningKeySource KeysOf(string scheme) => _keys[scheme];
}
