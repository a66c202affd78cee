using System.Globalization;

namespace Agents.E2E.Tests.Infrastructure;

/// <summary>
/// The chat app's static web server (local/web-server.mjs, or AGENTS_TEST_WEB_SERVER): the built app, its
/// /config.json, and /api proxied to a Functions host, on one origin. The browser talks to it only.
/// </summary>
public sealed class WebServerProcess : IAsyncDisposable
{
    private readonly TestProcess process;

    private WebServerProcess(TestProcess process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
    }

    /// <summary>The app's origin, as the browser sees it.</summary>
    public Uri BaseAddress { get; }

    public bool HasExited => process.HasExited;

    public string Output => process.Output;

    public static string Script
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("AGENTS_TEST_WEB_SERVER");
            var script = Path.GetFullPath(configured is { Length: > 0 } ? configured : Path.Combine(StackEnvironment.RepositoryRoot, "local", "web-server.mjs"));
            if (!File.Exists(script))
            {
                throw new InvalidOperationException($"The chat app's web server is not there: {script}. Set AGENTS_TEST_WEB_SERVER (`./dev test` does).");
            }
            return script;
        }
    }

    /// <summary>Serves <paramref name="root"/> on <paramref name="port"/> with /api proxied to <paramref name="api"/>; waits until the app and the proxied API answer.</summary>
    public static async Task<WebServerProcess> StartAsync(string root, int port, Uri api, string issuer)
    {
        var address = new Uri($"http://127.0.0.1:{port}");
        var process = TestProcess.Start("web server", "node",
            [Script, "--root", root, "--port", port.ToString(CultureInfo.InvariantCulture), "--api", api.ToString().TrimEnd('/'), "--issuer", issuer]);
        try
        {
            await process.WaitForHttpAsync(address, TimeSpan.FromSeconds(30));
            await process.WaitForHttpAsync(new Uri(address, "/api/health/ready"), TimeSpan.FromSeconds(30));
            return new WebServerProcess(process, address);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();
}
