using System.Diagnostics;
using System.Globalization;

namespace Agents.IntegrationTests.Infrastructure;

/// <summary>
/// A local stack of its own (local/stack.mjs: Azurite, the Cosmos DB emulator, the OIDC provider) with its data in a
/// folder of its own, for tests that crash or restart the stack itself, which the shared one must never be. Started
/// again (<see cref="RestartAsync"/>) it comes back on the same ports with the same data, as `./dev up` does.
/// </summary>
public sealed class PrivateStackProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private readonly string directory = ProcessJanitor.NewTempDirectory("stack");
    private string? ports;
    private TestProcess? process;

    private PrivateStackProcess()
    {
    }

    public IReadOnlyDictionary<string, string> Values { get; private set; } = new Dictionary<string, string>();

    public string CosmosEndpoint => Values["AGENTS_COSMOS_ENDPOINT"];

    public string StorageConnection => Values["AGENTS_STORAGE_CONNECTION"];

    public string Output => process?.Output ?? "";

    public static async Task<PrivateStackProcess> StartAsync()
    {
        var stack = new PrivateStackProcess();
        await stack.LaunchAsync();
        return stack;
    }

    /// <summary>SIGKILL to the Cosmos DB emulator alone; the stack starts it again. Returns once it answers again.</summary>
    public async Task KillCosmosAsync()
    {
        var pidFile = Path.Combine(directory, "logs", "cosmos.pid");
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture);
        using (var emulator = Process.GetProcessById(pid))
        {
            emulator.Kill();
            await emulator.WaitForExitAsync();
        }
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture) == pid)
        {
            if (DateTime.UtcNow > deadline || process!.HasExited)
            {
                throw new InvalidOperationException($"The stack did not start the Cosmos DB emulator again. Its output:\n{Output}");
            }
            await Task.Delay(100);
        }
        // The emulator's certificate is self-signed, as Cosmos DB's own emulator's is.
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            try
            {
                using var answer = await http.GetAsync(new Uri(CosmosEndpoint));
                if (answer.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The Cosmos DB emulator did not answer again. The stack's output:\n{Output}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Has Azurite write everything it acknowledged to disk now (local/azurite.mjs, on SIGUSR2), as Azure Storage
    /// keeps every acknowledged write; by itself Azurite writes every 5 s and a <see cref="Kill"/> loses the rest. Call it
    /// after the app is killed, so nothing writes between the flush and the kill.
    /// </summary>
    public async Task FlushAzuriteAsync()
    {
        var marker = Path.Combine(directory, "azurite.flushed");
        File.Delete(marker);
        var pid = (await File.ReadAllTextAsync(Path.Combine(directory, "logs", "azurite.pid"))).Trim();
        using (var signal = Process.Start("kill", ["-USR2", pid]) ?? throw new InvalidOperationException("kill did not start"))
        {
            await signal.WaitForExitAsync();
            if (signal.ExitCode != 0)
            {
                throw new InvalidOperationException($"kill -USR2 {pid} failed with exit code {signal.ExitCode}");
            }
        }
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (!File.Exists(marker))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Azurite did not write its data to disk. The stack's output:\n{Output}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL to the whole stack (every child with it), as a crash of the machine's processes would.</summary>
    public void Kill() => process?.Kill();

    /// <summary>Starts the stack again on the same ports with the same data (after <see cref="Kill"/>).</summary>
    public Task RestartAsync()
    {
        Kill();
        return LaunchAsync();
    }

    private async Task LaunchAsync()
    {
        var envFile = Path.Combine(directory, "stack.env");
        File.Delete(envFile);
        process = TestProcess.Start("private stack", "node",
            [Path.Combine(StackEnvironment.RepositoryRoot, "local", "stack.mjs"), "--data-dir", directory, "--ports", ports ?? "free", "--env-out", envFile]);
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (!File.Exists(envFile))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"The private stack did not start. Its output:\n{process.Output}");
            }
            await Task.Delay(100);
        }
        Values = File.ReadAllLines(envFile).Where(l => l.Contains('=', StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        ports ??= string.Join(',', new[] { ("blob", "AGENTS_AZURITE_BLOB"), ("queue", "AGENTS_AZURITE_QUEUE"), ("table", "AGENTS_AZURITE_TABLE") }
            .Select(p => $"{p.Item1}={new Uri(Values[p.Item2]).Port}")
            .Append($"cosmos={new Uri(Values["AGENTS_COSMOS_ENDPOINT"]).Port}")
            .Append($"oidc={new Uri(Values["AGENTS_OIDC_ISSUER"]).Port}"));
    }

    public async ValueTask DisposeAsync()
    {
        if (process is not null)
        {
            await process.DisposeAsync();
        }
    }
}
