using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Agents.IntegrationTests.Infrastructure;

/// <summary>
/// A real portable host process (src/Host's build) on a free port, configured for the test stack: a database and queue
/// prefix of its own test run, so several hosts can share them and runs never mix with other test classes.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private HostProcess(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }

    public bool HasExited => process.HasExited;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Starts a host and waits until /api/health/ready answers 200.</summary>
    public static async Task<HostProcess> StartAsync(HostSettings settings, int? port = null)
    {
        var stack = StackEnvironment.Current;
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // bin/<Configuration>/net10.0
        var dll = Path.Combine(StackEnvironment.RepositoryRoot, "src", "Host", "bin", configuration, "net10.0", "Agents.Host.dll");
        var address = new Uri($"http://127.0.0.1:{port ?? FreePort()}");
        var info = new ProcessStartInfo("dotnet", [dll, "--urls", address.ToString().TrimEnd('/')])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.Combine(StackEnvironment.RepositoryRoot, "src", "Host"),
        };
        var env = info.Environment;
        env["ASPNETCORE_ENVIRONMENT"] = "Test";
        env["Cosmos__Endpoint"] = stack.CosmosEndpoint.ToString();
        env["Cosmos__Key"] = stack.CosmosKey;
        env["Cosmos__Emulator"] = "true";
        env["Cosmos__CreateIfNotExists"] = "true";
        env["Cosmos__Database"] = settings.Database;
        env["Storage__ConnectionString"] = stack.StorageConnection;
        env["Storage__QueuePrefix"] = settings.QueuePrefix;
        env["Storage__VisibilityTimeoutSeconds"] = "5";
        env["Storage__MaxPollIntervalMilliseconds"] = "250";
        env["Model__Endpoint"] = stack.ModelEndpoint.ToString();
        env["Model__ApiKey"] = "sim";
        env["Model__Deployment"] = "sim-small";
        env["Model__RetryBaseDelayMilliseconds"] = "50";
        env["Identity__Providers__0__Name"] = "local";
        env["Identity__Providers__0__Kind"] = "Oidc";
        env["Identity__Providers__0__Issuer"] = stack.Issuer;
        env["Identity__Providers__0__Audiences__0"] = "api://agents";
        env["Identity__Providers__0__RequiredScope"] = "Agents.Access";
        env["Identity__Providers__0__RequireHttpsMetadata"] = "false";
        env["Streaming__HeartbeatSeconds"] = "1";
        env["Logging__LogLevel__Default"] = "Information";
        foreach (var (key, value) in settings.Extra)
        {
            env[key] = value;
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var host = new HostProcess(process, address);
        await host.WaitReadyAsync(TimeSpan.FromSeconds(60));
        return host;
    }

    public HttpClient CreateClient(string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(100) };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }
        return client;
    }

    /// <summary>SIGKILL: no shutdown, no flushing, as in a crash.</summary>
    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await Task.CompletedTask;
        process.Dispose();
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with {process.ExitCode}:\n{Output}");
            }
            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, "/api/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        Kill();
        throw new TimeoutException($"The host was not ready within {timeout.TotalSeconds} s:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (output)
        {
            if (output.Length < 2_000_000)
            {
                output.AppendLine(line);
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>What distinguishes the hosts of one test class from the others.</summary>
public sealed record HostSettings(string Database, string QueuePrefix, IReadOnlyDictionary<string, string> Extra)
{
    /// <summary>A database and queue prefix no other test class uses.</summary>
    public static HostSettings Isolated(IReadOnlyDictionary<string, string>? extra = null)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        return new HostSettings($"test-{id}", $"t{id}-", extra ?? new Dictionary<string, string>());
    }
}
