using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect.Configuration;

namespace Agents.Identity.Tokens;

/// <summary>
/// One provider's discovery document and JWKS, as the <see cref="IConfigurationManager{T}"/> of its JwtBearer scheme:
/// IdentityModel's <see cref="ConfigurationManager{T}"/> (cached, refreshed every 12 hours) plus
/// <see cref="EnsureKeyAsync"/>, which waits for fresh keys when a token names a <c>kid</c> we do not know.
/// </summary>
/// <remarks>
/// Ours because the library cannot accept a just-rotated key at first sight: since IdentityModel 8,
/// <see cref="ConfigurationManager{T}.RequestRefresh"/> fetches on a background task and the next
/// <c>GetConfigurationAsync</c> still returns the old keys, so JwtBearer's <c>RefreshOnIssuerKeyNotFound</c> fails the
/// token in hand and only the next one passes; and when the manager is a <c>BaseConfigurationManager</c>, the token
/// handler refreshes on every bad signature, so a forged signature with a known <c>kid</c> would cost a JWKS fetch.
/// So the scheme's <c>OnMessageReceived</c> calls <see cref="EnsureKeyAsync"/> before validation, and this class
/// deliberately implements only <see cref="IConfigurationManager{T}"/>. Refreshes are coalesced: within
/// <c>KeyRefreshMinIntervalSeconds</c> every caller shares the one refresh, so a burst of tokens with made-up kids
/// costs at most one JWKS request per interval.
/// </remarks>
internal sealed class SigningKeySource : IConfigurationManager<OpenIdConnectConfiguration>
{
    /// <summary>How long a request may wait for a key refresh before its token is judged with the keys we have.</summary>
    private static readonly TimeSpan RefreshWait = TimeSpan.FromSeconds(10);

    private readonly ConfigurationManager<OpenIdConnectConfiguration> _manager;
    private readonly ObservingRetriever _retriever = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _minInterval;
    private readonly Lock _gate = new();
    private Task _refresh = Task.CompletedTask;
    private DateTimeOffset? _refreshStartedAt;

    public SigningKeySource(string metadataAddress, IDocumentRetriever documents, TimeSpan minRefreshInterval, TimeProvider time)
    {
        _time = time;
        _minInterval = minRefreshInterval;
        // The validator keeps the current keys when a fetch returns a document without any (a provider hiccup).
        _manager = new ConfigurationManager<OpenIdConnectConfiguration>(
            metadataAddress, _retriever, documents, new OpenIdConnectConfigurationValidator())
        {
            RefreshInterval = minRefreshInterval,
        };
    }

    public string MetadataAddress => _manager.MetadataAddress;

    /// <summary>The newest configuration; fetched on first use (so an unused provider never causes a request).</summary>
    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var cached = await _manager.GetConfigurationAsync(cancel).ConfigureAwait(false);
        // A refresh we waited for may have finished before the manager stored its result.
        return _retriever.Latest ?? cached;
    }

    /// <summary>JwtBearer's own refresh on an unknown key is turned off (<c>RefreshOnIssuerKeyNotFound</c>); this serves the periodic one.</summary>
    public void RequestRefresh() => _manager.RequestRefresh();

    /// <summary>
    /// Makes sure the keys are fresh enough to judge a token signed with <paramref name="keyId"/>: when no current key
    /// has that id, waits (at most 10 s) for a refresh, shared with every caller within the minimum interval.
    /// </summary>
    public async Task EnsureKeyAsync(string? keyId, CancellationToken cancellationToken)
    {
        var current = await GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(keyId) || current.SigningKeys.Any(k => k.KeyId == keyId))
        {
            return;
        }

        Task refresh;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_refreshStartedAt is null || now - _refreshStartedAt >= _minInterval)
            {
                _refreshStartedAt = now;
                _refresh = RefreshCoreAsync();
            }

            refresh = _refresh;
        }

        await refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RefreshCoreAsync()
    {
        var nextFetch = _retriever.NextFetch;
        _manager.RequestRefresh();
        try
        {
            // This starts the fetch (in the background by default, inline with the 'UpdateConfigAsBlocking' switch).
            await _manager.GetConfigurationAsync(CancellationToken.None).ConfigureAwait(false);
            await nextFetch.WaitAsync(RefreshWait, _time).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // The token is judged with the keys we have; an unknown kid stays unknown.
        }
    }

    /// <summary>The standard OIDC retriever, remembering the newest configuration that has keys and signalling each fetch.</summary>
    private sealed class ObservingRetriever : IConfigurationRetriever<OpenIdConnectConfiguration>
    {
        private TaskCompletionSource _next = NewSignal();
        private OpenIdConnectConfiguration? _latest;

        public Task NextFetch => Volatile.Read(ref _next).Task;

        public OpenIdConnectConfiguration? Latest => Volatile.Read(ref _latest);

        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(
            string address, IDocumentRetriever retriever, CancellationToken cancel)
        {
            try
            {
                var configuration = await OpenIdConnectConfigurationRetriever.GetAsync(address, retriever, cancel).ConfigureAwait(false);
                if (configuration.SigningKeys.Count > 0)
                {
                    Volatile.Write(ref _latest, configuration);
                }

                return configuration;
            }
            finally
            {
                Interlocked.Exchange(ref _next, NewSignal()).TrySetResult();
            }
        }

        private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
