using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Agents.Identity.Tokens;

/// <summary>
/// Turns provider identifiers into ids that are safe everywhere we put them. User ids become Cosmos DB partition
/// keys and document ids (which forbid '/', '\', '?', '#') and path segments of our URLs, while an OIDC issuer is
/// a URL full of slashes and a <c>sub</c> can be any string up to 255 characters. Hashing <c>iss|sub</c> gives a
/// short, fixed-length, URL-safe id that is stable for the same person at the same provider and differs between
/// providers (the same <c>sub</c> at two issuers is two people).
/// </summary>
internal static class StableIds
{
    // RFC 4648 base32, lowercase: letters and digits only, so the ids need no escaping anywhere.
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>32 base32 characters = 160 bits of SHA-256: collisions are out of reach.</summary>
    private const int HashLength = 32;

    private static readonly SearchValues<char> SafeIdCharacters =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");

    /// <summary>Entra: tenant and object ids are GUIDs already, so keep them readable (support can look them up).</summary>
    public static string EntraUser(Guid tenantId, Guid objectId) => $"{tenantId:D}_{objectId:D}";

    /// <summary>Any other provider: <c>oidc_</c> + base32(SHA-256(iss + "|" + sub)), 37 characters.</summary>
    public static string OidcUser(string issuer, string subject) => "oidc_" + Hash(issuer + "|" + subject);

    /// <summary>A tenant for tokens that name none: one per issuer.</summary>
    public static string IssuerTenant(string issuer) => "iss_" + Hash(issuer);

    /// <summary>A provider's own tenant id when it is already URL-safe (letters, digits, '-', '_'), else its hash.</summary>
    public static string ProviderTenant(string tenantId) =>
        tenantId.Length <= 64 && !tenantId.AsSpan().ContainsAnyExcept(SafeIdCharacters) ? tenantId : "tid_" + Hash(tenantId);

    private static string Hash(string value)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(value), digest);
        return Base32(digest)[..HashLength];
    }

    internal static string Base32(ReadOnlySpan<byte> bytes)
    {
        var output = new StringBuilder((bytes.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                output.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            output.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return output.ToString();
    }
}
