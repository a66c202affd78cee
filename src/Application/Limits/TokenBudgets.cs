using System.Globalization;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Telemetry;
using Agents.Domain.Errors;
using Agents.Domain.Runs;
using Agents.Domain.Usage;
using Microsoft.Azure.Cosmos;


namespace Agents.Application.Limits;

/// <summary>
/// Tokens held back for one model call. <see cref="Refusal"/> is set when the budget refused it (nothing is held then);
/// <see cref="Day"/> names the budget document that holds it.
/// </summary>
public sealed record BudgetReservation(string UserId, string UsageId, string? AgentId, long Tokens, string Day, ApiProblem? Refusal = null);

/// <summary>One budget as <c>GET /api/v1/me</c> shows it. <see cref="Remaining"/> is the limit minus the recorded usage (never below 0).</summary>
public sealed record TokenBudgetView(long Limit, long Used, long Reserved, long Remaining, DateTimeOffset ResetsAt);

/// <summary>An agent's daily budget, for agents with a limit in the user's tier that were used today.</summary>
public sealed record AgentBudgetView(string AgentId, long Limit, long Used, long Reserved, long Remaining);

/// <summary>The caller's limits: tier, request rates, and the token budgets with what remains.</summary>
public sealed record LimitsView(
    string Tier, string TierSource, int RequestsPerMinute, int CostlyRequestsPerMinute,
    TokenBudgetView Day, TokenBudgetView Month, IReadOnlyList<AgentBudgetView> Agents);

/// <summary>
/// Token budgets per user per UTC day and month (and optionally per agent per day), by tier. A model call reserves its
/// expected cost first (<see cref="Estimate"/>) and settles with its real usage after; the budget admits a reservation
/// while <c>used + reserved &lt; limit</c>, so concurrent calls overshoot a budget by at most one reservation.
/// <para>
/// One document per user and day in the <c>limits</c> container holds the day's settled usage (total and per agent),
/// the open reservations, and the ids of the settled calls. Every change is a read and an ETag-conditional replace of
/// that one document, so the check and the reservation are atomic across instances. For the month check, a day document
/// records the usage of the month's earlier days when it is created (one query per user and day); <c>GET /me</c> sums
/// the month's documents. Reservations and settlements are keyed by the usage record id: a replayed model call (same id) finds its
/// reservation or its settlement and is not counted twice, and its settlement returns the usage counted the first
/// time, which is what the ledger keeps (its first write wins). So after a run, <c>limit - used</c> is exactly the
/// limit minus the usage the ledger recorded for the day (the day of the record's <c>at</c>).
/// </para>
/// </summary>
public sealed class TokenBudgets(CosmosDatabase cosmos, TierResolver tiers, LimitsOptions options, TimeProvider clock, OptimisticUpdates updates)
{
    /// <summary>Settled call ids remembered per day document (about 60 bytes each), for recognising replays.</summary>
    public const int MaxSettledPerDay = 5_000;

    private const string Type = "budget";
    private const int MaxAttempts = 64;

    private readonly DocumentContainer documents = new(cosmos.Container(Containers.Limits));

    /// <summary>Expected tokens of a call: the prompt (<see cref="TokenEstimate"/>, tools included) plus max_tokens or the configured default.</summary>
    public long Estimate(ModelCall call) =>
        TokenEstimate.Prompt(call.Messages, call.Tools) + (call.Parameters.MaxTokens ?? options.DefaultReservedOutputTokens);

    /// <summary>Reserves <paramref name="tokens"/> for the call <paramref name="usageId"/>, or refuses (429 token_budget_exceeded).</summary>
    public async Task<BudgetReservation> ReserveAsync(string userId, string? agentId, string usageId, long tokens, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var today = DayOf(now);
        // A call reserved or settled just before midnight and replayed after it is found in yesterday's document.
        if (now - now.UtcDateTime.Date < TimeSpan.FromSeconds(options.ReservationTimeoutSeconds)
            && await ReadAsync(userId, DayOf(now.AddDays(-1)), ct).ConfigureAwait(false) is { } yesterday
            && (yesterday.Open.ContainsKey(usageId) || yesterday.Settled.Exists(s => s.Id == usageId)))
        {
            return new BudgetReservation(userId, usageId, agentId, tokens, yesterday.Day);
        }

        var tier = await tiers.ResolveForUserAsync(userId, ct).ConfigureAwait(false);
        ApiProblem? refusal = null;
        await UpdateAsync(userId, today, day =>
        {
            refusal = null;
            if (day.Open.ContainsKey(usageId) || day.Settled.Exists(s => s.Id == usageId))
            {
                return false; // a replay: its reservation (or settlement) is there already
            }
            var reserved = Reserved(day.Open, now);
            refusal = day.Used + reserved >= tier.Limits.TokensPerDay ? Exceeded(tier, "day", tier.Limits.TokensPerDay, day.Used, reserved, NextDay(now))
                : day.PriorMonthUsed + day.Used + reserved >= tier.Limits.TokensPerMonth ? Exceeded(tier, "month", tier.Limits.TokensPerMonth, day.PriorMonthUsed + day.Used, reserved, NextMonth(now))
                : tier.Limits.AgentLimit(agentId) is { } agentLimit && AgentUsed(day, agentId!) + AgentReserved(day, agentId!, now) >= agentLimit
                    ? Exceeded(tier, "agent_day", agentLimit, AgentUsed(day, agentId!), AgentReserved(day, agentId!, now), NextDay(now), agentId)
                : null;
            if (refusal is not null)
            {
                return false;
            }
            day.Open[usageId] = new OpenReservation(tokens, agentId, now);
            return true;
        }, ct).ConfigureAwait(false);
        if (refusal?.Extensions?["period"] is string scope)
        {
            AgentsTelemetry.BudgetRefused(scope, agentId);
        }
        return new BudgetReservation(userId, usageId, agentId, tokens, today, refusal);
    }

    /// <summary>Gives a reservation back without usage (the call failed and nothing was recorded).</summary>
    public Task ReleaseAsync(BudgetReservation reservation, CancellationToken ct) => reservation.Refusal is not null
        ? Task.CompletedTask
        : UpdateAsync(reservation.UserId, reservation.Day, day => day.Open.Remove(reservation.UsageId), ct);

    /// <summary>
    /// Replaces the reservation with the call's real usage, counted on the day of <c>record.At</c>, once per usage id.
    /// Returns the record to write to the ledger: with the usage counted the first time when this is a replay.
    /// </summary>
    public async Task<UsageRecord> SettleAsync(BudgetReservation reservation, UsageRecord record, CancellationToken ct)
    {
        if (reservation.Refusal is not null)
        {
            throw new InvalidOperationException("A refused reservation cannot be settled.");
        }
        var id = reservation.UsageId;
        var target = DayOf(record.At);
        var first = target == reservation.Day ? null : (await ReadAsync(reservation.UserId, reservation.Day, ct).ConfigureAwait(false))?.Settled.Find(s => s.Id == id);
        if (first is null)
        {
            await UpdateAsync(reservation.UserId, target, day =>
            {
                first = day.Settled.Find(s => s.Id == id);
                if (first is not null)
                {
                    return day.Open.Remove(id);
                }
                day.Open.Remove(id);
                day.Used += record.Usage.TotalTokens;
                if (reservation.AgentId is { } agent)
                {
                    day.AgentUsed[agent] = AgentUsed(day, agent) + record.Usage.TotalTokens;
                }
                day.Settled.Add(new SettledCall(id, record.Usage.InputTokens, record.Usage.OutputTokens, record.Usage.CachedTokens));
                if (day.Settled.Count > MaxSettledPerDay)
                {
                    day.Settled.RemoveRange(0, day.Settled.Count - MaxSettledPerDay);
                }
                return true;
            }, ct).ConfigureAwait(false);
        }
        if (target != reservation.Day)
        {
            await UpdateAsync(reservation.UserId, reservation.Day, day => day.Open.Remove(id), ct).ConfigureAwait(false);
        }
        return first is null ? record : record with { Usage = new TokenUsage(first.In, first.Out, first.Cached) };
    }

    /// <summary>The user's limits and what remains of each budget.</summary>
    public async Task<LimitsView> DescribeAsync(string userId, ResolvedTier tier, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var today = DayOf(now);
        var month = await MonthAsync(userId, today, ct).ConfigureAwait(false);
        var day = month.Find(d => d.Day == today) ?? new DaySummary(today, 0, [], []);
        var dayReserved = Reserved(day.Open, now);
        var monthUsed = month.Sum(d => d.Used);
        var monthReserved = month.Sum(d => Reserved(d.Open, now));
        var agents = day.AgentUsed.Keys.Union(day.Open.Values.Select(o => o.AgentId).OfType<string>(), StringComparer.Ordinal)
            .Select(a => (Id: a, Limit: tier.Limits.AgentLimit(a)))
            .Where(a => a.Limit is not null)
            .OrderBy(a => a.Id, StringComparer.Ordinal)
            .Select(a =>
            {
                var used = day.AgentUsed.GetValueOrDefault(a.Id);
                return new AgentBudgetView(a.Id, a.Limit!.Value, used, day.Open.Values.Where(o => o.AgentId == a.Id && Live(o, now)).Sum(o => o.Tokens), Math.Max(0, a.Limit.Value - used));
            })
            .ToList();
        return new LimitsView(tier.Name, tier.Source, tier.Limits.RequestsPerMinute, tier.Limits.CostlyRequestsPerMinute,
            new TokenBudgetView(tier.Limits.TokensPerDay, day.Used, dayReserved, Math.Max(0, tier.Limits.TokensPerDay - day.Used), NextDay(now)),
            new TokenBudgetView(tier.Limits.TokensPerMonth, monthUsed, monthReserved, Math.Max(0, tier.Limits.TokensPerMonth - monthUsed), NextMonth(now)),
            agents);
    }

    private static ApiProblem Exceeded(ResolvedTier tier, string period, long limit, long used, long reserved, DateTimeOffset resetsAt, string? agentId = null)
    {
        var which = period switch
        {
            "day" => "daily token budget",
            "month" => "monthly token budget",
            _ => $"daily token budget for agent '{agentId}'",
        };
        return new ApiProblem(429, "token_budget_exceeded", "The token budget is used up",
            $"The {which} of the {tier.Name} tier ({limit} tokens) is used up: {used} used and {reserved} reserved by calls in progress. It resets at {resetsAt:yyyy-MM-ddTHH:mm:ssZ}.",
            new Dictionary<string, object?>
            {
                ["tier"] = tier.Name,
                ["period"] = period,
                ["agentId"] = agentId,
                ["limit"] = limit,
                ["used"] = used,
                ["reserved"] = reserved,
                ["resetsAt"] = resetsAt,
            });
    }

    /// <summary>Reads the day's document, applies <paramref name="change"/> (false: nothing to write) and writes it if the ETag still matches; again on a race.</summary>
    private Task<bool> UpdateAsync(string userId, string dayName, Func<BudgetDay, bool> change, CancellationToken ct) =>
        // Every request of a user writes the same day document, so races are common under load: more attempts than elsewhere.
        updates.RunAsync($"budget day {dayName}", async token =>
        {
            var pk = PartitionKeys.Owner(userId);
            var stored = await documents.ReadAsync<BudgetDay>(pk, IdFor(dayName), token).ConfigureAwait(false);
            var day = stored?.Value ?? BudgetDay.Empty(IdFor(dayName), dayName, await PriorMonthUsedAsync(userId, dayName, token).ConfigureAwait(false));
            var pruned = Prune(day);
            if (!change(day) && !pruned)
            {
                return false;
            }
            if (stored is null)
            {
                await documents.CreateAsync(pk, Type, day, token).ConfigureAwait(false);
            }
            else
            {
                await documents.ReplaceAsync(pk, Type, day.Id, day, stored.ETag, token).ConfigureAwait(false);
            }
            return true;
        }, ct, MaxAttempts);

    private async Task<BudgetDay?> ReadAsync(string userId, string dayName, CancellationToken ct) =>
        (await documents.ReadAsync<BudgetDay>(PartitionKeys.Owner(userId), IdFor(dayName), ct).ConfigureAwait(false))?.Value;

    /// <summary>Usage of the days of the month before <paramref name="dayName"/>: once per user and day, when its document is created.</summary>
    private async Task<long> PriorMonthUsedAsync(string userId, string dayName, CancellationToken ct) =>
        (await MonthAsync(userId, dayName, ct).ConfigureAwait(false)).Where(d => string.CompareOrdinal(d.Day, dayName) < 0).Sum(d => d.Used);

    /// <summary>The day documents of the month of <paramref name="today"/> (without their lists of settled calls).</summary>
    private Task<List<DaySummary>> MonthAsync(string userId, string today, CancellationToken ct)
    {
        var pk = PartitionKeys.Owner(userId);
        return documents.QueryAllAsync<DaySummary>(pk,
            new QueryDefinition("SELECT c.day, c.used, c.open, c.agentUsed FROM c WHERE c.pk = @pk AND c.type = @type AND c.month = @month")
                .WithParameter("@pk", pk).WithParameter("@type", Type).WithParameter("@month", today[..7]), ct);
    }

    /// <summary>Drops reservations older than the timeout (their call's process died): they stop holding budget back.</summary>
    private bool Prune(BudgetDay day)
    {
        var now = clock.GetUtcNow();
        var expired = day.Open.Where(o => !Live(o.Value, now)).Select(o => o.Key).ToList();
        expired.ForEach(id => day.Open.Remove(id));
        return expired.Count > 0;
    }

    private bool Live(OpenReservation open, DateTimeOffset now) => now - open.At < TimeSpan.FromSeconds(options.ReservationTimeoutSeconds);

    private long Reserved(Dictionary<string, OpenReservation>? open, DateTimeOffset now) => open?.Values.Where(o => Live(o, now)).Sum(o => o.Tokens) ?? 0;

    private long AgentReserved(BudgetDay day, string agentId, DateTimeOffset now) => day.Open.Values.Where(o => o.AgentId == agentId && Live(o, now)).Sum(o => o.Tokens);

    private static long AgentUsed(BudgetDay day, string agentId) => day.AgentUsed.GetValueOrDefault(agentId);

    private static string IdFor(string day) => $"budget|{day}";

    private static string DayOf(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateTimeOffset NextDay(DateTimeOffset now) => new(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);

    private static DateTimeOffset NextMonth(DateTimeOffset now) => new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);

    /// <summary>A user's budget document for one UTC day.</summary>
    internal sealed record BudgetDay
    {
        public required string Id { get; init; }
        public required string Day { get; init; }
        public required string Month { get; init; }
        /// <summary>Tokens of the calls settled on this day (by the day of their usage record).</summary>
        public long Used { get; set; }
        /// <summary>Tokens used on the month's earlier days, when this document was created (the month check of a reservation).</summary>
        public long PriorMonthUsed { get; init; }
        public Dictionary<string, long> AgentUsed { get; init; } = new(StringComparer.Ordinal);
        /// <summary>Reservations of calls in progress, by usage id.</summary>
        public Dictionary<string, OpenReservation> Open { get; init; } = new(StringComparer.Ordinal);
        /// <summary>The calls settled on this day, oldest first (at most <see cref="MaxSettledPerDay"/>).</summary>
        public List<SettledCall> Settled { get; init; } = [];

        public static BudgetDay Empty(string id, string day, long priorMonthUsed) => new() { Id = id, Day = day, Month = day[..7], PriorMonthUsed = priorMonthUsed };
    }

    internal sealed record OpenReservation(long Tokens, string? AgentId, DateTimeOffset At);

    internal sealed record SettledCall(string Id, int In, int Out, int Cached);

    internal sealed record DaySummary(string Day, long Used, Dictionary<string, OpenReservation>? Open, Dictionary<string, long>? AgentUsed)
    {
        public Dictionary<string, OpenReservation> Open { get; init; } = Open ?? [];
        public Dictionary<string, long> AgentUsed { get; init; } = AgentUsed ?? [];
    }
}
