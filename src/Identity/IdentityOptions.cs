using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Agents.Identity;

/// <summary>
/// Which identity providers may issue access tokens for this API. Bound from the configuration section
/// <c>Identity</c> and validated at start-up (<see cref="Validate"/>): a bad setting stops the host with its path.
/// </summary>
public sealed class IdentityOptions
{
    public const string SectionName = "Identity";

    /// <summary>The trusted token issuers. A token whose <c>iss</c> none of them owns is rejected without a network call.</summary>
    public IList<IdentityProviderOptions> Providers { get; } = new List<IdentityProviderOptions>();

    /// <summary>
    /// Tolerance for clock differences when checking <c>exp</c> and <c>nbf</c>. Explicit and small on purpose:
    /// the library default of 5 minutes keeps expired tokens alive.
    /// </summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>
    /// At most one signing-key refresh per provider within this many seconds, however many tokens with an unknown
    /// <c>kid</c> arrive (they cannot make us hammer the provider's JWKS endpoint).
    /// </summary>
    public int KeyRefreshMinIntervalSeconds { get; set; } = 30;

    /// <summary>The claim that carries the caller's service tier, when a provider issues one.</summary>
    public string TierClaim { get; set; } = "tier";

    /// <summary>Every invalid setting, each message naming its configuration path. Empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Providers.Count == 0)
        {
            errors.Add($"{SectionName}:Providers must list at least one identity provider.");
        }

        if (ClockSkewSeconds is < 0 or > 300)
        {
            errors.Add($"{SectionName}:ClockSkewSeconds must be between 0 and 300 (got {ClockSkewSeconds}).");
        }

        if (KeyRefreshMinIntervalSeconds is < 1 or > 3600)
        {
            errors.Add($"{SectionName}:KeyRefreshMinIntervalSeconds must be between 1 and 3600 (got {KeyRefreshMinIntervalSeconds}).");
        }

        if (string.IsNullOrWhiteSpace(TierClaim))
        {
            errors.Add($"{SectionName}:TierClaim must not be empty.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var issuers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < Providers.Count; i++)
        {
            var provider = Providers[i];
            var path = $"{SectionName}:Providers:{i}";
            provider.Validate(path, errors);
            if (!string.IsNullOrWhiteSpace(provider.Name) && !names.Add(provider.Name))
            {
                errors.Add($"{path}:Name '{provider.Name}' is used by another provider.");
            }

            foreach (var issuer in provider.TrustedIssuers())
            {
                if (!issuers.TryAdd(issuer, path))
                {
                    errors.Add($"{path} trusts issuer '{issuer}', which {issuers[issuer]} trusts already.");
                }
            }
        }

        return errors;
    }
}

/// <summary>Where a provider's tokens come from.</summary>
public enum IdentityProviderKind
{
    /// <summary>Microsoft Entra ID (v2.0 tokens), single tenant or a multi-tenant allowlist.</summary>
    Entra,

    /// <summary>Any OpenID Connect provider with discovery and RS256 access tokens.</summary>
    Oidc,
}

/// <summary>One trusted token issuer (or, for multi-tenant Entra, one issuer per allowed tenant).</summary>
[SuppressMessage("Design", "CA1056:URI-like properties should not be strings",
    Justification = "Issuers are compared as exact strings; System.Uri would normalise them (a trailing slash).")]
public sealed class IdentityProviderOptions
{
    public const string DefaultEntraInstance = "https://login.microsoftonline.com/";

    /// <summary>Name used in logs and error messages.</summary>
    public string Name { get; set; } = "";

    public IdentityProviderKind? Kind { get; set; }

    /// <summary>Entra, single tenant: the tenant GUID. Exclusive with <see cref="AllowedTenants"/>.</summary>
    public string? TenantId { get; set; }

    /// <summary>
    /// Entra, multi-tenant: the tenant GUIDs allowed in. Metadata comes from the <c>organizations</c> endpoint and
    /// the issuer is checked per tenant as <c>{Instance}{tid}/v2.0</c>.
    /// </summary>
    public IList<string> AllowedTenants { get; } = new List<string>();

    /// <summary>
    /// Entra: the authority host. Configurable so that tests (and sovereign clouds) can point it elsewhere.
    /// </summary>
    public string Instance { get; set; } = DefaultEntraInstance;

    /// <summary>Oidc: the issuer, compared exactly with the token's <c>iss</c>.</summary>
    public string? Issuer { get; set; }

    /// <summary>Oidc: the discovery document; default <c>{Issuer}/.well-known/openid-configuration</c>.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>
    /// Accepted <c>aud</c> values. For Entra list both the App ID URI (<c>api://…</c>) and the client id GUID:
    /// v2.0 tokens carry the client id, v1.0-style requests the URI.
    /// </summary>
    public IList<string> Audiences { get; } = new List<string>();

    /// <summary>Delegated tokens (with <c>scp</c>) must carry this scope. Null: any delegated token is accepted.</summary>
    public string? RequiredScope { get; set; }

    /// <summary>
    /// App-only tokens (no <c>scp</c>) must carry this app role in <c>roles</c>. Null: app-only tokens are refused,
    /// so that a provider configured for users never lets a bare service token in by omission.
    /// </summary>
    public string? RequiredAppRole { get; set; }

    /// <summary>Only for a local provider on a loopback address (http://127.0.0.1); start-up refuses it elsewhere.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    internal bool IsMultiTenant => Kind == IdentityProviderKind.Entra && AllowedTenants.Count > 0;

    internal string EntraInstance => Instance.EndsWith('/') ? Instance : Instance + "/";

    internal string EntraIssuer(string tenantId) => $"{EntraInstance}{tenantId}/v2.0";

    /// <summary>The discovery document address this provider's keys come from.</summary>
    internal string ResolvedMetadataAddress => Kind switch
    {
        IdentityProviderKind.Entra when IsMultiTenant =>
            $"{EntraInstance}organizations/v2.0/.well-known/openid-configuration",
        IdentityProviderKind.Entra => $"{EntraInstance}{TenantId}/v2.0/.well-known/openid-configuration",
        _ => string.IsNullOrWhiteSpace(MetadataAddress)
            ? $"{Issuer?.TrimEnd('/')}/.well-known/openid-configuration"
            : MetadataAddress,
    };

    /// <summary>Every exact <c>iss</c> value this provider accepts.</summary>
    internal IEnumerable<string> TrustedIssuers()
    {
        switch (Kind)
        {
            case IdentityProviderKind.Entra when IsMultiTenant:
                foreach (var tenant in AllowedTenants)
                {
                    if (Guid.TryParse(tenant, out var id))
                    {
                        yield return EntraIssuer(id.ToString("D"));
                    }
                }

                break;
            case IdentityProviderKind.Entra when Guid.TryParse(TenantId, out var single):
                yield return EntraIssuer(single.ToString("D"));
                break;
            case IdentityProviderKind.Oidc when !string.IsNullOrWhiteSpace(Issuer):
                yield return Issuer;
                break;
        }
    }

    internal void Validate(string path, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            errors.Add($"{path}:Name is required.");
        }

        switch (Kind)
        {
            case null:
                errors.Add($"{path}:Kind is required (Entra or Oidc).");
                return;
            case IdentityProviderKind.Entra:
                ValidateEntra(path, errors);
                break;
            case IdentityProviderKind.Oidc:
                ValidateOidc(path, errors);
                break;
        }

        if (Audiences.Count == 0 || Audiences.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add($"{path}:Audiences must list at least one audience, none of them empty.");
        }

        ValidateMetadataAddress(path, errors);
    }

    private void ValidateEntra(string path, List<string> errors)
    {
        var hasTenant = !string.IsNullOrWhiteSpace(TenantId);
        if (hasTenant == AllowedTenants.Count > 0)
        {
            errors.Add($"{path}: an Entra provider needs exactly one of TenantId (single tenant) or AllowedTenants (multi-tenant).");
        }

        if (hasTenant && !Guid.TryParse(TenantId, out _))
        {
            errors.Add($"{path}:TenantId must be a tenant GUID (got '{TenantId}').");
        }

        for (var i = 0; i < AllowedTenants.Count; i++)
        {
            if (!Guid.TryParse(AllowedTenants[i], out _))
            {
                errors.Add($"{path}:AllowedTenants:{i} must be a tenant GUID (got '{AllowedTenants[i]}').");
            }
        }

        if (!Uri.TryCreate(Instance, UriKind.Absolute, out _))
        {
            errors.Add($"{path}:Instance must be an absolute URL (got '{Instance}').");
        }

        if (!string.IsNullOrWhiteSpace(Issuer) || !string.IsNullOrWhiteSpace(MetadataAddress))
        {
            errors.Add($"{path}: Issuer and MetadataAddress are for Oidc providers; an Entra provider derives them from Instance and the tenant.");
        }
    }

    private void ValidateOidc(string path, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(Issuer) || !Uri.TryCreate(Issuer, UriKind.Absolute, out _))
        {
            errors.Add($"{path}:Issuer is required for an Oidc provider and must be an absolute URL (got '{Issuer}').");
        }

        if (!string.IsNullOrWhiteSpace(TenantId) || AllowedTenants.Count > 0)
        {
            errors.Add($"{path}: TenantId and AllowedTenants are for Entra providers.");
        }
    }

    private void ValidateMetadataAddress(string path, List<string> errors)
    {
        if (!Uri.TryCreate(ResolvedMetadataAddress, UriKind.Absolute, out var metadata))
        {
            errors.Add($"{path}:MetadataAddress must be an absolute URL (got '{ResolvedMetadataAddress}').");
            return;
        }

        var isHttps = metadata.Scheme == Uri.UriSchemeHttps;
        if (RequireHttpsMetadata && !isHttps)
        {
            errors.Add($"{path}:RequireHttpsMetadata is true but the metadata address '{metadata}' is not https.");
        }

        if (!RequireHttpsMetadata && !IsLoopback(metadata))
        {
            errors.Add($"{path}:RequireHttpsMetadata may be false only for a provider on a loopback address (got '{metadata.Host}').");
        }
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
