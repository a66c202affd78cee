using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect.Configuration;

namespace Agents.Identity.Tokens;

/// <summary>
/// One provider's discovery document and JWKS: a <see cref="ConfigurationManager{T}"/> (cached, refreshed every
/// 12 hours) plus a forced refresh for an unknown <c>kid</c> (key rotation).
/// </summary>
/// <remarks>
/// Since IdentityModel 8, <see cref="ConfigurationManager{T}.RequestRefresh"/> fetches on a background task and the
/// next <c>GetConfigurationAsync</c> still returns the old keys, so "refresh, then retry" would retry with the same
/// keys. <see cref="RefreshAsync"/> therefore waits for the fetch the request started (observed through
/// <see cref="ObservingRetriever"/>). Refreshes are coalesced: within <c>KeyRefreshMinIntervalSeconds</c> every caller
/// shares the one refresh, so a burst of tokens with made-up kids costs at most one JWKS request per interval.
/// </remarks>
internal sealed class SigningKeySource
{
    /// <summary>How long a request may wait for a key refresh before it is answered 401.</summary>
    private static readonly TimeSpan RefreshWait = TimeSpan.FromSeconds(10);

    private readonly ConfigurationManager<OpenIdConnectConfiguration> _manager;
    private readonly ObservingRetriever _retriever = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _minInterval;
    private readonly Lock _gate = new();
    private Task<OpenIdConnectConfiguration?>? _refresh;
    private DateTimeOffset _refreshStartedAt;

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

    /// <summary>The cached configuration; fetched on first use (so an unused provider never causes a request).</summary>
    public Task<OpenIdConnectConfiguration> GetAsync(CancellationToken cancellationToken) =>
        _manager.GetConfigurationAsync(cancellationToken);

    /// <summary>
    /// Fresh keys after <paramref name="stale"/> failed to name a token's key; null when no newer configuration could
    /// be had in time. Callers within the minimum interval share one refresh.
    /// </summary>
    public Task<OpenIdConnectConfiguration?> RefreshAsync(OpenIdConnectConfiguration stale, CancellationToken cancellationToken)
    {
        Task<OpenIdConnectConfiguration?> refresh;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_refresh is null || now - _refreshStartedAt >= _minInterval)
            {
                _refreshStartedAt = now;
                _refresh = RefreshCoreAsync(stale);
            }

            refresh = _refresh;
        }

        return refresh.WaitAsync(cancellationToken);
    }

    private async Task<OpenIdConnectConfiguration?> RefreshCoreAsync(OpenIdConnectConfiguration stale)
    {
        var nextFetch = _retriever.NextFetch;
        _manager.RequestRefresh();

        // With the 'UpdateConfigAsBlocking' switch the fetch happens here; by default it runs in the background.
        OpenIdConnectConfiguration current;
        try
        {
            current = await _manager.GetConfigurationAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            return null;
        }

        if (!ReferenceEquals(current, stale))
        {
            return current;
        }

        try
        {
            return await nextFetch.WaitAsync(RefreshWait, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>The standard OIDC retriever, plus a task that completes with the next configuration fetched.</summary>
    private sealed class ObservingRetriever : IConfigurationRetriever<OpenIdConnectConfiguration>
    {
        private TaskCompletionSource<OpenIdConnectConfiguration?> _next = NewSignal();

        public Task<OpenIdConnectConfiguration?> NextFetch => Volatile.Read(ref _next).Task;

        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(
            string address, IDocumentRetriever retriever, CancellationToken cancel)
        {
            OpenIdConnectConfiguration configuration;
            try
            {
                configuration = await OpenIdConnectConfigurationRetriever.GetAsync(address, retriever, cancel).ConfigureAwait(false);
            }
            catch
            {
                Interlocked.Exchange(ref _next, NewSignal()).TrySetResult(null);
                throw;
            }

            Interlocked.Exchange(ref _next, NewSignal()).TrySetResult(configuration);
            return configuration;
        }

        private static TaskCompletionSource<OpenIdConnectConfiguration?> NewSignal() =>
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
