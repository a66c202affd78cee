using Agents.Application.Limits;
using Agents.Application.Storage.Cosmos;
using Microsoft.Extensions.Logging.Abstractions;
using Agents.Domain.Identity;
using Agents.Domain.Usage;
using BenchmarkDotNet.Attributes;

namespace Agents.Benchmarks.Limits;

/// <summary>
/// What the limits add to a request and to a model call, against the local Cosmos DB emulator (the stack's env file:
/// AGENTS_TEST_ENV_FILE, else .data/stack.env):
/// <list type="bullet">
/// <item><see cref="FastPathRefusal"/>: a request of a caller whose window is known to be full, refused in process.</item>
/// <item><see cref="CachedTierLookup"/>: the caller's tier, from the in-process cache (every request pays it).</item>
/// <item><see cref="DistributedAdmission"/>: an admitted request: one conditional Patch of the counter document.</item>
/// <item><see cref="BudgetReserveAndSettle"/>: what a model call pays: a reservation and its settlement.</item>
/// </list>
/// The clock is frozen, so a window never rolls over during a run.
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn]
public class LimitCheckBenchmarks : IDisposable
{
    private static readonly Caller Refused = new("bench-refused", "t", "Bench", CallerKind.User, [], []);
    private static readonly Caller Admitted = new("bench-admitted", "t", "Bench", CallerKind.User, [], []);

    private CosmosDatabase cosmos = null!;
    private RateLimiter limiter = null!;
    private TierResolver tiers = null!;
    private TokenBudgets budgets = null!;
    private FrozenClock clock = null!;
    private long call;

    // Synchronous on purpose: BenchmarkDotNet 0.14's in-process toolchain (--inProcess) does not await a Task-returning setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => cosmos.Client.GetDatabase(cosmos.DatabaseName).DeleteAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        var env = StackEnv.Load();
        cosmos = new CosmosDatabase(new CosmosOptions
        {
            Endpoint = new Uri(env["AGENTS_COSMOS_ENDPOINT"]),
            Key = env["AGENTS_COSMOS_KEY"],
            Emulator = true,
            Database = "bench-limits-" + Guid.NewGuid().ToString("N")[..8],
        }, null);
        await cosmos.EnsureCreatedAsync(CancellationToken.None);
        clock = new FrozenClock(DateTimeOffset.UtcNow);
        var options = new LimitsOptions();
        limiter = new RateLimiter(cosmos, clock);
        tiers = new TierResolver(cosmos, options, clock);
        budgets = new TokenBudgets(cosmos, tiers, options, clock, new OptimisticUpdates(NullLogger<OptimisticUpdates>.Instance));

        // Fill the refused caller's window (limit 1): the database admits the first request and returns count 1, so this
        // instance knows the window is full and refuses the next ones without a round trip.
        var first = await limiter.AcquireAsync(Refused, RateLimitPolicy.Costly, 1, CancellationToken.None);
        var second = await limiter.AcquireAsync(Refused, RateLimitPolicy.Costly, 1, CancellationToken.None);
        if (!first.Admitted || second.Admitted || !second.FromFastPath)
        {
            throw new InvalidOperationException("The setup expected one admission, then a refusal on the fast path.");
        }
        await tiers.ResolveAsync(Admitted, CancellationToken.None);
    }

    public void Dispose()
    {
        cosmos?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public async Task<bool> FastPathRefusal()
    {
        var decision = await limiter.AcquireAsync(Refused, RateLimitPolicy.Costly, 1, CancellationToken.None);
        return decision.FromFastPath ? decision.Admitted : throw new InvalidOperationException("The fast path did not refuse.");
    }

    [Benchmark]
    public async Task<string> CachedTierLookup() => (await tiers.ResolveAsync(Admitted, CancellationToken.None)).Name;

    [Benchmark]
    public async Task<bool> DistributedAdmission() =>
        (await limiter.AcquireAsync(Admitted, RateLimitPolicy.General, int.MaxValue, CancellationToken.None)).Admitted;

    [Benchmark]
    public async Task<long> BudgetReserveAndSettle()
    {
        // A new user every 200 calls: a day document of a typical user (it remembers the day's settled calls).
        var n = Interlocked.Increment(ref call);
        var user = $"bench-budget-{n / 200}";
        var id = $"bench:{n}";
        var reservation = await budgets.ReserveAsync(user, "agent", id, 100, CancellationToken.None);
        var record = new UsageRecord { Id = id, UserId = user, TenantId = "t", Model = "m", Usage = new TokenUsage(1, 1), At = clock.GetUtcNow() };
        return (await budgets.SettleAsync(reservation, record, CancellationToken.None)).Usage.TotalTokens;
    }

    private sealed class FrozenClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

/// <summary>The local stack's env file (written by local/stack.mjs).</summary>
internal static class StackEnv
{
    public static Dictionary<string, string> Load()
    {
        var file = Environment.GetEnvironmentVariable("AGENTS_TEST_ENV_FILE") is { Length: > 0 } given ? given : Path.Combine(FindRoot(), ".data", "stack.env");
        if (!File.Exists(file))
        {
            throw new InvalidOperationException($"No stack env file at {file}: start the local stack (node local/stack.mjs) or set AGENTS_TEST_ENV_FILE.");
        }
        return File.ReadAllLines(file)
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Agents.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}
