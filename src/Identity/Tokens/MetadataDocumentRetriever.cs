using Microsoft.IdentityModel.Protocols;

namespace Agents.Identity.Tokens;

/// <summary>
/// Fetches discovery documents and JWKS through <see cref="IHttpClientFactory"/> (a fresh client per fetch, so
/// handler rotation and DNS changes apply; fetches are rare). Refuses plain HTTP unless the provider allows it,
/// for the jwks_uri named by the document as well as for the document itself.
/// </summary>
internal sealed class MetadataDocumentRetriever(IHttpClientFactory clients, bool requireHttps) : IDocumentRetriever
{
    public async Task<string> GetDocumentAsync(string address, CancellationToken cancel)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            throw new ArgumentException($"Metadata address '{address}' is not an absolute URL.", nameof(address));
        }

        if (requireHttps && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new InvalidOperationException($"Metadata address '{address}' must use https.");
        }

        var client = clients.CreateClient(IdentityServiceCollectionExtensions.MetadataHttpClientName);
        using var response = await client.GetAsync(uri, cancel).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new IOException($"Fetching '{address}' failed with HTTP {(int)response.StatusCode}.");
        }

        return await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
    }
}
