using System.Net.Sockets;

namespace Agents.Faults;

/// <summary>
/// What a load balancer in front of several instances does for a client: each request goes to its preferred instance,
/// and to the next one when that one refuses the connection (it is gone). Requests are given relative to any of the
/// instances' addresses; only the authority changes.
/// </summary>
public sealed class Failover(IReadOnlyList<Uri> instances, int preferred) : DelegatingHandler(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
{
    /// <summary>Requests that went to another instance than the preferred one because it refused the connection.</summary>
    public int FailedOver => failedOver;

    private int failedOver;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var instance = instances[(preferred + attempt) % instances.Count];
            request.RequestUri = new UriBuilder(request.RequestUri!) { Host = instance.Host, Port = instance.Port }.Uri;
            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } && attempt + 1 < instances.Count)
            {
                Interlocked.Increment(ref failedOver); // nothing was sent: the same request goes to the next instance
            }
        }
    }
}
