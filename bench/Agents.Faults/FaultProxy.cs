using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Agents.Faults;

/// <summary>
/// A TCP proxy in front of a dependency (the Cosmos DB emulator, an Azurite service), so that a scenario can take the
/// dependency away from the app without touching the dependency itself: <see cref="Down"/> resets every open connection
/// and stops listening (new connections are refused, as from a host that is gone), <see cref="Up"/> listens again on
/// the same port. Bytes pass through unchanged (TLS stays end to end). The dependency keeps running and keeps what it
/// acknowledged, as a managed service does through a network partition.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly IPEndPoint target;
    private readonly ConcurrentDictionary<long, (Socket Client, Socket Upstream)> connections = new();
    private readonly CancellationTokenSource disposed = new();
    private readonly Lock gate = new();
    private TcpListener? listener;
    private bool isDown;
    private long next;

    private FaultProxy(int targetPort)
    {
        target = new IPEndPoint(IPAddress.Loopback, targetPort);
        Port = Local.FreePort();
    }

    /// <summary>The port the app is given instead of the dependency's.</summary>
    public int Port { get; }

    public static FaultProxy Start(int targetPort)
    {
        var proxy = new FaultProxy(targetPort);
        proxy.Up();
        return proxy;
    }

    /// <summary>The dependency's address with the proxy's port in place of its own.</summary>
    public Uri Route(Uri address) => new UriBuilder(address) { Port = Port }.Uri;

    public void Up()
    {
        lock (gate)
        {
            if (listener is not null)
            {
                return;
            }
            var socket = new TcpListener(IPAddress.Loopback, Port);
            socket.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Start(512);
            listener = socket;
            isDown = false;
            _ = AcceptAsync(socket);
        }
    }

    /// <summary>Stops listening and resets every open connection (RST, not a graceful close: nothing in flight gets through).</summary>
    public void Down()
    {
        lock (gate)
        {
            listener?.Stop();
            listener = null;
            isDown = true;
            foreach (var (id, pair) in connections)
            {
                if (connections.TryRemove(id, out _))
                {
                    Reset(pair.Client);
                    Reset(pair.Upstream);
                }
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        disposed.Cancel();
        Down();
        disposed.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptAsync(TcpListener socket)
    {
        while (!disposed.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await socket.AcceptSocketAsync(disposed.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return; // stopped by Down or DisposeAsync
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        var id = Interlocked.Increment(ref next);
        try
        {
            await upstream.ConnectAsync(target, disposed.Token);
            lock (gate)
            {
                if (isDown)
                {
                    throw new SocketException((int)SocketError.ConnectionReset); // taken down while connecting
                }
                connections[id] = (client, upstream);
            }
            await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // reset by Down, or closed by either side
        }
        finally
        {
            connections.TryRemove(id, out _);
            client.Dispose();
            upstream.Dispose();
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, disposed.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, disposed.Token);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0); // close with RST
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
