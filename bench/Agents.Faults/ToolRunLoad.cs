using System.Collections.Concurrent;
using System.Net;
using Microsoft.Azure.Cosmos;
using Newtonsoft.Json.Linq;

namespace Agents.Faults;

/// <summary>What a run driven by <see cref="ToolRunLoad"/> ended as, with its problem's code when it failed.</summary>
public sealed record RunOutcome(int Index, string Thread, string RunId, string Status, string? ErrorCode = null);

/// <summary>
/// A fault the model simulator plays on every model call of a run: directive items added to the run's script (such
/// as <c>error=429 retry_after=1 times=1 model=sim-small</c>). <see cref="CutsTheAnswer"/>: the fault breaks the run's
/// answer off after text reached the client, which the product does not try again: the run must end failed with
/// <see cref="CutAnswerCode"/>, its partial answer kept and its usage recorded as partial.
/// </summary>
public sealed record ModelFault(string Items, bool CutsTheAnswer = false)
{
    public const string CutAnswerCode = "model_stream_interrupted";
}

/// <summary>
/// The load of the scenarios that fault the back end under runs: runs of three tool steps each, in a thread of their
/// own. Two in three call save_note and calculator in parallel at every step, one in three calls send_email, which
/// needs an approval at every step (the driver approves what it sees parked, as a user would). <see cref="VerifyAsync"/>
/// then checks every promise a fault may break: each run completed, its thread holds exactly the messages it should,
/// each tool's side effect (a note, an outbox mail) exists exactly once however often its activity ran, the usage
/// ledger has one record per model call, and the day's token budget equals the ledger. A run may be given a
/// <see cref="ModelFault"/>; one that cuts its answer must fail as the product promises instead of completing.
/// </summary>
public sealed class ToolRunLoad
{
    public const int Steps = 3;

    private readonly ResilientApi api;
    private readonly ConcurrentDictionary<int, ModelFault> faults = new();

    private ToolRunLoad(ResilientApi api, string agentId, string userId)
    {
        this.api = api;
        AgentId = agentId;
        UserId = userId;
    }

    public string AgentId { get; }

    public string UserId { get; }

    /// <summary>The latest status each run was seen in (by index), for a scenario to see how many are unfinished.</summary>
    public ConcurrentDictionary<int, string> Latest { get; } = new();

    /// <summary>
    /// Creates the agent the runs use (with the three tools, send_email needing approval) and looks up the user.
    /// <paramref name="stepTimeoutSeconds"/>: the agent's limit on each model call and tool call (the app's default when null).
    /// </summary>
    public static async Task<ToolRunLoad> CreateAsync(ResilientApi api, CancellationToken ct, int? stepTimeoutSeconds = null)
    {
        var agent = await api.PostAsync("/api/v1/agents", new
        {
            name = "faults",
            instructions = "Use the tools you are asked to use.",
            tools = new object[] { new { name = "save_note" }, new { name = "calculator" }, new { name = "send_email", approval = "always" } },
            stepTimeoutSeconds,
        }, ct);
        var agentId = agent.Body?["id"]?.GetValue<string>() ?? throw new InvalidOperationException($"creating the agent answered {agent.Status}: {agent.Body}");
        var userId = (await api.GetAsync("/api/v1/me", ct)).Body!["userId"]!.GetValue<string>();
        return new ToolRunLoad(api, agentId, userId);
    }

    public static bool NeedsApproval(int run) => run % 3 == 0;

    /// <summary>Returns once each of the first <paramref name="total"/> runs was accepted and seen at least once (polled, as the drivers poll).</summary>
    public async Task UnderWayAsync(int total, CancellationToken ct)
    {
        while (Latest.Count < total)
        {
            await Task.Delay(200, ct);
        }
    }

    /// <summary>How many of <paramref name="total"/> runs have not been seen ending yet.</summary>
    public int Unfinished(int total) => Latest.Count(p => !IsTerminal(p.Value)) + (total - Latest.Count);

    /// <summary>
    /// Starts run <paramref name="index"/> in a new thread and follows it to its end, approving every tool call it parks;
    /// through <paramref name="via"/> when given (another instance) instead of the load's API. <paramref name="started"/>
    /// is told the thread and run ids once the run is accepted. <paramref name="fault"/>: what its model calls meet.
    /// </summary>
    public async Task<RunOutcome> DriveAsync(int index, CancellationToken ct, ResilientApi? via = null, Action<string, string>? started = null, ModelFault? fault = null)
    {
        var api = via ?? this.api;
        if (fault is not null)
        {
            faults[index] = fault;
        }
        var thread = (await api.PostAsync("/api/v1/threads", new { title = $"fault {index}" }, ct)).Body!["id"]!.GetValue<string>();
        var accepted = await api.PostAsync($"/api/v1/threads/{thread}/runs", new { message = Message(index, fault), agentId = AgentId }, ct);
        // A start whose answer was lost (to a kill, a reset connection) is sent again and finds its run active.
        var runId = accepted.Status == HttpStatusCode.Conflict && accepted.Code == "run_active"
            ? accepted.Body!["activeRunId"]!.GetValue<string>()
            : accepted.Body?["id"]?.GetValue<string>() ?? throw new InvalidOperationException($"run {index}: {accepted.Status} {accepted.Body}");
        started?.Invoke(thread, runId);
        while (true)
        {
            var run = (await api.GetAsync($"/api/v1/threads/{thread}/runs/{runId}", ct)).Body!;
            var status = run["status"]!.GetValue<string>();
            Latest[index] = status;
            if (IsTerminal(status))
            {
                return new RunOutcome(index, thread, runId, status, run["error"]?["code"]?.GetValue<string>());
            }
            foreach (var pending in run["pendingToolCalls"]?.AsArray() ?? [])
            {
                // 409: decided already (an approval sent again after its answer was lost).
                await api.PostAsync($"/api/v1/threads/{thread}/runs/{runId}/approvals",
                    new { toolCallId = pending!["toolCallId"]!.GetValue<string>(), approve = true }, ct);
            }
            await Task.Delay(1000, ct);
        }
    }

    /// <summary>
    /// What the runs left behind, read back through the API, and the side effects and the ledger's partial records from
    /// the documents themselves. <paramref name="stack"/> and <paramref name="database"/>: where the documents are.
    /// </summary>
    public async Task<Verdict> VerifyAsync(IReadOnlyList<RunOutcome> outcomes, IReadOnlyDictionary<string, string> stack, string database, CancellationToken ct)
    {
        var wrongThreads = new List<string>();
        foreach (var outcome in outcomes)
        {
            var messages = (await api.GetAsync($"/api/v1/threads/{outcome.Thread}/messages?limit=100", ct)).Body!["data"]!.AsArray();
            var roles = messages.Select(m => m!["role"]!.GetValue<string>()).ToArray();
            var ids = messages.Select(m => m!["id"]!.GetValue<string>()).Distinct().Count();
            if (!roles.SequenceEqual(ExpectedRoles(outcome.Index)) || ids != roles.Length)
            {
                wrongThreads.Add($"run {outcome.Index}: {string.Join(',', roles)} ({ids} distinct ids)");
            }
        }
        using var documents = new Documents(stack, database, UserId);
        var notes = await documents.KeysAsync("threads", "note", "title", ct);
        var mails = await documents.KeysAsync("threads", "outbox", "subject", ct);
        var expectedEffects = outcomes.ToDictionary(o => NeedsApproval(o.Index) ? $"s{o.Index}" : $"n{o.Index}", _ => Steps);
        var effects = notes.Concat(mails).GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());
        var duplicates = effects.Sum(e => Math.Max(0, e.Value - expectedEffects.GetValueOrDefault(e.Key)));
        var missing = expectedEffects.Sum(e => Math.Max(0, e.Value - effects.GetValueOrDefault(e.Key)));
        var partial = (await documents.KeysAsync("usage", "usage", "partial", ct, ("agentId", AgentId))).Count(k => k == "True");

        var usage = (await api.GetAsync("/api/v1/usage?groupBy=agent", ct)).Body!;
        var group = usage["groups"]!.AsArray().FirstOrDefault(g => g!["key"]!.GetValue<string>() == AgentId);
        var day = (await api.GetAsync("/api/v1/me", ct)).Body!["limits"]!["day"]!;
        var cut = outcomes.Where(o => CutsTheAnswer(o.Index)).ToList();
        return new Verdict(
            outcomes.Count,
            outcomes.Count(o => o.Status == "completed"),
            cut.Count(o => o.Status == "failed" && o.ErrorCode == ModelFault.CutAnswerCode),
            cut.Count,
            wrongThreads,
            outcomes.Where(o => !EndedAsPromised(o)).Select(o => $"run {o.Index} ({o.RunId}) is {o.Status} {o.ErrorCode}".TrimEnd()).ToList(),
            outcomes.Sum(o => Steps * (NeedsApproval(o.Index) ? 1 : 2)),
            missing,
            duplicates,
            outcomes.Count * (Steps + 1),
            group?["calls"]?.GetValue<int>() ?? 0,
            partial,
            day["used"]!.GetValue<long>(),
            usage["total"]!["totalTokens"]!.GetValue<long>(),
            day["reserved"]!.GetValue<long>());
    }

    private bool CutsTheAnswer(int run) => faults.TryGetValue(run, out var fault) && fault.CutsTheAnswer;

    private bool EndedAsPromised(RunOutcome outcome) => CutsTheAnswer(outcome.Index)
        ? outcome.Status == "failed" && outcome.ErrorCode == ModelFault.CutAnswerCode
        : outcome.Status == "completed";

    private static string Message(int run, ModelFault? fault)
    {
        var items = fault is null ? "" : " " + fault.Items;
        return NeedsApproval(run)
            ? $"fault {run} [[sim steps={Steps} tool=send_email args='{{\"to\":\"ops@example.com\",\"subject\":\"s{run}\",\"body\":\"b\"}}' tokens=8 tps=20{items}]]"
            : $"fault {run} [[sim steps={Steps} parallel=2 tool=save_note args='{{\"title\":\"n{run}\",\"text\":\"x\"}}' tool=calculator args='{{\"expression\":\"6*7\"}}' tokens=8 tps=20{items}]]";
    }

    /// <summary>user, then per step the assistant's tool calls and one tool message per call, then the answer.</summary>
    private static string[] ExpectedRoles(int run)
    {
        var roles = new List<string> { "user" };
        for (var step = 0; step < Steps; step++)
        {
            roles.Add("assistant");
            roles.AddRange(Enumerable.Repeat("tool", NeedsApproval(run) ? 1 : 2));
        }
        roles.Add("assistant");
        return [.. roles];
    }

    private static bool IsTerminal(string status) => status is "completed" or "failed" or "cancelled" or "expired";

    /// <summary>The user's documents in the database, read directly (not through the API, which may hide a duplicate).</summary>
    private sealed class Documents : IDisposable
    {
        private readonly HttpClientHandler handler = new() { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        private readonly CosmosClient cosmos;
        private readonly string database;
        private readonly string userId;

        public Documents(IReadOnlyDictionary<string, string> stack, string database, string userId)
        {
            cosmos = new CosmosClient(stack["AGENTS_COSMOS_ENDPOINT"], stack["AGENTS_COSMOS_KEY"], new CosmosClientOptions
            {
                ConnectionMode = ConnectionMode.Gateway,
                LimitToEndpoint = true,
                HttpClientFactory = () => new HttpClient(handler, disposeHandler: false),
            });
            this.database = database;
            this.userId = userId;
        }

        /// <summary>One <paramref name="field"/> (as text) of each document of <paramref name="type"/> in the user's partition, optionally where another field equals a value.</summary>
        public async Task<List<string>> KeysAsync(string container, string type, string field, CancellationToken ct, (string Field, string Value)? matching = null)
        {
            var condition = matching is { } m ? $" AND c.{m.Field} = @value" : "";
            var query = new QueryDefinition($"SELECT c.{field} AS k FROM c WHERE c.pk = @pk AND c.type = @type{condition}")
                .WithParameter("@pk", userId).WithParameter("@type", type).WithParameter("@value", matching?.Value);
            var keys = new List<string>();
            using var iterator = cosmos.GetContainer(database, container).GetItemQueryIterator<JObject>(query,
                requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(userId) });
            while (iterator.HasMoreResults)
            {
                keys.AddRange((await iterator.ReadNextAsync(ct)).Select(d => d["k"]?.ToString() ?? ""));
            }
            return keys;
        }

        public void Dispose()
        {
            cosmos.Dispose();
            handler.Dispose();
        }
    }
}
