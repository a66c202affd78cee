using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Web;
using Azure.Core;

namespace Agents.Application.Storage.Queues;

/// <summary>A queue service address and the way requests to it are authorized.</summary>
public sealed record QueueEndpoint(Uri ServiceUri, IRequestAuthorizer Authorizer)
{
    /// <summary>Builds the endpoint from options: a connection string (shared key) or a service URI with a token credential.</summary>
    public static QueueEndpoint From(QueueOptions options, TokenCredential? credential)
    {
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            var parts = options.ConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2))
                .Where(p => p.Length == 2)
                .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
            var account = parts.GetValueOrDefault("AccountName") ?? throw new InvalidOperationException("Storage:ConnectionString has no AccountName.");
            var key = parts.GetValueOrDefault("AccountKey") ?? throw new InvalidOperationException("Storage:ConnectionString has no AccountKey.");
            var queueEndpoint = parts.GetValueOrDefault("QueueEndpoint")
                ?? $"{parts.GetValueOrDefault("DefaultEndpointsProtocol", "https")}://{account}.queue.{parts.GetValueOrDefault("EndpointSuffix", "core.windows.net")}";
            return new QueueEndpoint(new Uri(queueEndpoint), new SharedKeyAuthorizer(account, key));
        }
        if (options.QueueServiceUri is { } uri)
        {
            return new QueueEndpoint(uri, new TokenAuthorizer(credential ?? throw new InvalidOperationException("Storage:QueueServiceUri needs a token credential.")));
        }
        throw new InvalidOperationException("Set Storage:ConnectionString or Storage:QueueServiceUri.");
    }
}

public interface IRequestAuthorizer
{
    ValueTask AuthorizeAsync(HttpRequestMessage request, CancellationToken ct);
}

/// <summary>Entra ID bearer tokens for the storage audience (managed identity in Azure).</summary>
public sealed class TokenAuthorizer(TokenCredential credential) : IRequestAuthorizer
{
    private static readonly TokenRequestContext Context = new(["https://storage.azure.com/.default"]);

    public async ValueTask AuthorizeAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var token = await credential.GetTokenAsync(Context, ct).ConfigureAwait(false);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token.Token);
    }
}

/// <summary>
/// Shared Key signing (Blob/Queue services, version 2009-09-19 and later). Used with Azurite locally.
/// Pitfalls handled: path-style URLs sign the account name twice; an empty body signs a blank Content-Length;
/// query values are signed decoded.
/// </summary>
public sealed class SharedKeyAuthorizer(string account, string base64Key) : IRequestAuthorizer
{
    private readonly byte[] key = Convert.FromBase64String(base64Key);

    public ValueTask AuthorizeAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var content = request.Content;
        var length = content?.Headers.ContentLength ?? 0;
        var headers = request.Headers
            .Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .Select(h => (Name: h.Key.ToLowerInvariant(), Value: string.Join(",", h.Value).Trim()))
            .OrderBy(h => h.Name, StringComparer.Ordinal);
        var sb = new StringBuilder()
            .Append(request.Method.Method).Append('\n')
            .Append('\n') // Content-Encoding
            .Append('\n') // Content-Language
            .Append(length > 0 ? length.ToString(CultureInfo.InvariantCulture) : "").Append('\n')
            .Append('\n') // Content-MD5
            .Append(content?.Headers.ContentType?.ToString() ?? "").Append('\n')
            .Append('\n') // Date (x-ms-date is used)
            .Append("\n\n\n\n\n"); // If-Modified-Since, If-Match, If-None-Match, If-Unmodified-Since, Range
        foreach (var (name, value) in headers)
        {
            sb.Append(name).Append(':').Append(value).Append('\n');
        }
        sb.Append('/').Append(account).Append(request.RequestUri!.AbsolutePath);
        var query = HttpUtility.ParseQueryString(request.RequestUri.Query);
        foreach (var name in query.AllKeys.Where(k => k is not null).Select(k => k!).OrderBy(k => k.ToLowerInvariant(), StringComparer.Ordinal))
        {
            sb.Append('\n').Append(name.ToLowerInvariant()).Append(':').Append(query[name]);
        }
        using var hmac = new HMACSHA256(key);
        var signature = Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(sb.ToString())));
        request.Headers.TryAddWithoutValidation("Authorization", $"SharedKey {account}:{signature}");
        return ValueTask.CompletedTask;
    }
}
