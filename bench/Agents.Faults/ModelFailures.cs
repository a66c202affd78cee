using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Agents.Faults;

/// <summary>
/// The model endpoint failing under load. One Functions host whose primary deployment (sim-small) has a fallback
/// (sim-large) and a circuit small enough to open and close within the scenario. Phase after phase, the runs of
/// <see cref="ToolRunLoad"/> start together and each of their model calls meets the phase's fault, a directive the
/// model simulator plays (with <c>model=</c> where only the primary fails): 429s with Retry-After, hangs, streams cut
/// before any text, streams cut after text, 500s, then the primary healthy again. The simulator counts what each
/// deployment was asked (<c>GET /stats</c>); the host's log says what the model client did (retries, fallbacks, the
/// circuit's changes). Checked: each phase's promises (<see cref="Phases"/>), no answer of 500 or above from the API,
/// the circuit closed at the end, and every promise of <see cref="ToolRunLoad.VerifyAsync"/>.
/// </summary>
public static partial class ModelFailures
{
    public sealed record Options(int Runs);

    private const string Primary = "sim-small"; // Model:Deployment (FunctionsHost.RequiredSettings)
    private const string Fallback = "sim-large";
    private const int MaxRetries = 3;

    // Small, so that the circuit opens within the 500s phase (the previous phase's successes leave its window within
    // seconds) and closes within the next (its break passes while that phase's runs still call).
    private const int SamplingSeconds = 5;
    private const int BreakSeconds = 3;

    /// <summary>The agent's limit on each model call: how long a hanging call waits before it is given up and tried again.</summary>
    private const int StepTimeoutSeconds = 8;

    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(30);

    /// <summary>What one phase measured: its runs' ends, the simulator's counts per deployment, and the model client's log.</summary>
    private sealed record Figures(
        int Runs, int Calls, int Completed, int CutShort, ModelCounts Primary, ModelCounts Fallback,
        int Retries, double? ShortestRetryMs, List<TimeSpan> Opened, List<TimeSpan> Closed, long? FallbackAfterClose);

    private sealed record Promise(string What, Func<Figures, bool> Holds);

    /// <summary>A fault every model call of a phase's runs meets (none: the primary healthy), and what must hold then.</summary>
    private sealed record Phase(string Name, string Meets, ModelFault? Fault, Promise[] Promises);

    // A call fails once and then succeeds in every phase but the 500s, so at most one failure per run waits for its
    // success: the circuit (90 % failed of at least 2 x runs calls, see Settings) can only open in the 500s phase.
    private static readonly Promise CircuitStaysClosed = new("no fallback, the circuit closed", f => f.Fallback.Requests == 0 && f.Opened.Count == 0);

    private static readonly Phase[] Phases =
    [
        new("429s", "the primary answers its first request 429 with Retry-After: 1",
            new ModelFault($"error=429 retry_after=1 times=1 model={Primary}"),
            [
                new("a 429 for each call", f => f.Primary.ErrorsOf(429) == f.Calls),
                new("each retried after >= 1000 ms, none before its Retry-After", f => f.Retries >= f.Calls && f.ShortestRetryMs >= 1000 && f.Primary.EarlyRetries == 0),
                CircuitStaysClosed,
            ]),
        new("hangs", $"the primary never answers its first request: the agent's {StepTimeoutSeconds} s step timeout fires",
            new ModelFault($"hang times=1 model={Primary}"),
            [
                new("a hang for each call", f => f.Primary.Hangs == f.Calls),
                new("each retried", f => f.Retries >= f.Calls && f.Primary.Completed >= f.Calls),
                CircuitStaysClosed,
            ]),
        new("cut before text", "its first stream (either deployment) is cut after the role chunk, before any text",
            new ModelFault("drop=0 times=1"),
            [
                new("a cut stream for each call", f => f.Primary.Drops == f.Calls),
                new("each retried", f => f.Retries >= f.Calls && f.Primary.Completed >= f.Calls),
                CircuitStaysClosed,
            ]),
        new("cut after text", "its first stream (either deployment) is cut after 3 deltas: a tool-call turn's before any text, the answer's after 3 words",
            new ModelFault("drop=3 times=1", CutsTheAnswer: true),
            [
                new("a cut stream for each call", f => f.Primary.Drops == f.Calls),
                new("the tool-call turns retried, the answers not", f => f.Primary.Completed == f.Calls - f.Runs),
                new($"each run failed `{ModelFault.CutAnswerCode}`", f => f.CutShort == f.Runs),
                CircuitStaysClosed,
            ]),
        new("500s", "the primary answers every request 500",
            new ModelFault($"error=500 model={Primary}"),
            [
                new("the circuit opened", f => f.Opened.Count > 0),
                new("the fallback answered each call", f => f.Fallback.Completed >= f.Calls && f.Primary.Completed == 0),
                new($"the open circuit spared the primary (< {MaxRetries + 1} requests a call)", f => f.Primary.Requests < f.Calls * (MaxRetries + 1)),
            ]),
        new("healthy again", "no fault",
            null,
            [
                new("the circuit closed", f => f.Closed.Count > 0),
                new("then every call went to the primary", f => f.FallbackAfterClose == 0 && f.Primary.Completed > 0),
            ]),
    ];

    public static async Task<ScenarioReport> RunAsync(string repo, string work, Options options, CancellationToken ct)
    {
        Directory.CreateDirectory(work);
        var loadBefore = MachineInfo.LoadAverage();
        await using var standIns = await LocalStandIns.StartAsync(repo, work, null, null, ct);
        await using var host = await FunctionsHost.StartAsync(new FunctionsHostOptions
        {
            Repo = repo, WorkDirectory = work, Name = "model", Stack = standIns.Env, ModelEndpoint = standIns.ModelEndpoint, Settings = Settings(options.Runs),
        }, ct);
        var clock = Stopwatch.StartNew();
        await using var log = LogWatch.Start(host.LogPath, line => RetryLine().IsMatch(line) || CircuitLine().IsMatch(line), clock);
        using var tokens = new TokenCache(c => standIns.TokenAsync("alice", c));
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var simulator = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var api = new ResilientApi(http, tokens);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Deadline);
        var load = await ToolRunLoad.CreateAsync(api, ct, StepTimeoutSeconds);

        var outcomes = new List<RunOutcome>();
        var figures = new List<Figures>();
        for (var p = 0; p < Phases.Length; p++)
        {
            var started = clock.Elapsed;
            Console.Error.WriteLine($"model: {Phases[p].Name}: {options.Runs} runs");
            var (ended, measured) = await RunPhaseAsync(Phases[p], Enumerable.Range(p * options.Runs, options.Runs), load, log,
                () => ModelCounts.ReadAsync(simulator, standIns.ModelEndpoint, deadline.Token), clock, deadline.Token);
            outcomes.AddRange(ended);
            figures.Add(measured);
            Console.Error.WriteLine($"model: {Phases[p].Name} ended after {(clock.Elapsed - started).TotalSeconds:F0} s");
        }
        var elapsed = clock.Elapsed;
        var verdict = await load.VerifyAsync(outcomes, standIns.Env, host.AppSettings["Cosmos__Database"], ct);
        return Report(repo, loadBefore, options, figures, verdict, log.Lines, api.AnswersOf5xx, elapsed);
    }

    /// <summary>
    /// Starts the phase's runs together with its fault and follows them to their ends. When the primary's circuit closes
    /// meanwhile, the simulator's counts are read at once: every later call must go to the primary.
    /// </summary>
    private static async Task<(RunOutcome[] Ended, Figures Measured)> RunPhaseAsync(Phase phase, IEnumerable<int> runs, ToolRunLoad load, LogWatch log,
        Func<Task<IReadOnlyDictionary<string, ModelCounts>>> counts, Stopwatch clock, CancellationToken ct)
    {
        var start = clock.Elapsed;
        var before = await counts();
        var driving = Task.WhenAll(runs.Select(i => load.DriveAsync(i, ct, fault: phase.Fault)));
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var closing = log.WaitForAsync(line => IsCircuit(line, Primary, "closed"), start, watching.Token);
        var atClose = await Task.WhenAny(driving, closing) == closing ? await counts() : null;
        var ended = await driving;
        await watching.CancelAsync();
        return (ended, Measure(ended, before, await counts(), atClose, log.Lines.Where(l => l.At >= start).ToList()));
    }

    private static ScenarioReport Report(string repo, string loadBefore, Options options, List<Figures> figures, Verdict verdict,
        IReadOnlyList<(TimeSpan At, string Line)> log, int answersOf5xx, TimeSpan elapsed)
    {
        var primaryCircuit = log.Select(l => CircuitLine().Match(l.Line)).Where(m => m.Groups["deployment"].Value == Primary).ToList();
        var closedAtTheEnd = primaryCircuit.Count > 0 && primaryCircuit[^1].Groups["state"].Value == "closed";
        var fallbackOpened = log.Count(l => IsCircuit(l.Line, Fallback, "opened"));
        var heldPhases = Phases.Zip(figures).Count(p => p.First.Promises.All(promise => promise.Holds(p.Second)));

        var text = ScenarioReport.Begin(repo, loadBefore, "./dev faults model", $" ({options.Runs} runs a phase)");
        ScenarioReport.Row(text, $"runs: {Phases.Length} phases, each of {options.Runs} started together (3 tool steps each; 1 in 3 with an approval per step)", verdict.Runs, "");
        ScenarioReport.Row(text, "phases whose promises held (table below)", heldPhases, Text(Phases.Length));
        verdict.AddRows(text);
        ScenarioReport.Row(text, $"requests the simulator got for the primary / the fallback ({Primary} / {Fallback})",
            $"{figures.Sum(f => f.Primary.Requests)} / {figures.Sum(f => f.Fallback.Requests)}", "");
        ScenarioReport.Row(text, "retries by the model client (host log)", figures.Sum(f => f.Retries), "");
        ScenarioReport.Row(text, "primary's circuit: opened, closed (s after the first phase began)", CircuitText(figures.SelectMany(f => f.Opened), figures.SelectMany(f => f.Closed)),
            "opened in the 500s phase, closed in the next");
        ScenarioReport.Row(text, "primary's circuit closed at the end; the fallback's opened", $"{(closedAtTheEnd ? "yes" : "no")}; {fallbackOpened}", "yes; 0");
        ScenarioReport.Row(text, "answers of 500 or above from the API", answersOf5xx, "0");
        ScenarioReport.Row(text, "wall time (s)", Math.Round(elapsed.TotalSeconds), "");
        text.AppendLine();
        AddPhaseTable(text, figures);
        verdict.AddFindings(text);
        var passed = verdict.Holds && answersOf5xx == 0 && heldPhases == Phases.Length && closedAtTheEnd && fallbackOpened == 0;
        return new ScenarioReport("model", passed, text.ToString());
    }

    /// <summary>
    /// Limits off (the runs are the load), a fallback deployment, and a circuit that opens and closes within a phase:
    /// it opens when 90 % (the app's ratio) of at least 2 x runs attempts in its window failed.
    /// </summary>
    private static Dictionary<string, string> Settings(int runs) => new(FunctionsHost.NoLimits, StringComparer.Ordinal)
    {
        ["Runs__ApprovalTimeoutSeconds"] = "3600",
        ["Runs__MaxRunSeconds"] = "3600",
        ["Model__FallbackDeployment"] = Fallback,
        ["Model__MaxRetries"] = Text(MaxRetries),
        ["Model__RetryBaseDelayMilliseconds"] = "200",
        ["Model__CircuitBreakerMinimumThroughput"] = Text(Math.Clamp(2 * runs, 10, 1000)),
        ["Model__CircuitBreakerSamplingSeconds"] = Text(SamplingSeconds),
        ["Model__CircuitBreakerBreakSeconds"] = Text(BreakSeconds),
    };

    private static Figures Measure(
        RunOutcome[] ended, IReadOnlyDictionary<string, ModelCounts> before, IReadOnlyDictionary<string, ModelCounts> after,
        IReadOnlyDictionary<string, ModelCounts>? atClose, List<(TimeSpan At, string Line)> lines)
    {
        ModelCounts Of(IReadOnlyDictionary<string, ModelCounts> counts, string model) => counts.GetValueOrDefault(model) ?? ModelCounts.None;
        var retryDelays = lines.Select(l => RetryLine().Match(l.Line)).Where(m => m.Success)
            .Select(m => double.Parse(m.Groups["delay"].Value, CultureInfo.InvariantCulture)).ToList();
        List<TimeSpan> Circuit(string state) => lines.Where(l => IsCircuit(l.Line, Primary, state)).Select(l => l.At).ToList();
        return new Figures(
            ended.Length,
            ended.Length * (ToolRunLoad.Steps + 1),
            ended.Count(o => o.Status == "completed"),
            ended.Count(o => o.Status == "failed" && o.ErrorCode == ModelFault.CutAnswerCode),
            Of(after, Primary).Since(Of(before, Primary)),
            Of(after, Fallback).Since(Of(before, Fallback)),
            retryDelays.Count,
            retryDelays.Count > 0 ? retryDelays.Min() : null,
            Circuit("opened"),
            Circuit("closed"),
            atClose is null ? null : Of(after, Fallback).Requests - Of(atClose, Fallback).Requests);
    }

    private static void AddPhaseTable(StringBuilder text, List<Figures> figures)
    {
        text.AppendLine("| phase: what each model call of its runs meets | runs | primary: requests (answered; failed) | fallback: answered | retries (shortest delay) | primary's circuit | promised | held |");
        text.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var (phase, f) in Phases.Zip(figures))
        {
            var failed = string.Join(", ", new[]
            {
                string.Join(", ", f.Primary.Errors.Where(e => e.Value > 0).Select(e => $"{e.Value} × {e.Key}")),
                f.Primary.Hangs > 0 ? $"{f.Primary.Hangs} hung" : "",
                f.Primary.Drops > 0 ? $"{f.Primary.Drops} cut" : "",
                f.Primary.EarlyRetries > 0 ? $"{f.Primary.EarlyRetries} sent again before their Retry-After" : "",
            }.Where(s => s.Length > 0));
            var ends = f.CutShort > 0 ? $"{f.Completed} completed, {f.CutShort} failed `{ModelFault.CutAnswerCode}`" : $"{f.Completed} completed";
            var retries = f.ShortestRetryMs is { } shortest ? $"{f.Retries} ({shortest:0} ms)" : "0";
            var broken = phase.Promises.Where(p => !p.Holds(f)).Select(p => p.What).ToList();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| **{phase.Name}**: {phase.Meets} | {f.Runs}: {ends} | {f.Primary.Requests} ({f.Primary.Completed}; {(failed.Length > 0 ? failed : "none")}) | {f.Fallback.Completed} | {retries} | {CircuitText(f.Opened, f.Closed)} | {string.Join("; ", phase.Promises.Select(p => p.What))} | {(broken.Count == 0 ? "yes" : "no: " + string.Join("; ", broken))} |");
        }
    }

    private static string CircuitText(IEnumerable<TimeSpan> opened, IEnumerable<TimeSpan> closed)
    {
        static string Times(IEnumerable<TimeSpan> times) => string.Join(", ", times.Select(t => t.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)));
        var (o, c) = (Times(opened), Times(closed));
        return o.Length == 0 && c.Length == 0 ? "closed throughout"
            : string.Join("; ", new[] { o.Length > 0 ? $"opened at {o} s" : "", c.Length > 0 ? $"closed at {c} s" : "" }.Where(s => s.Length > 0));
    }

    private static bool IsCircuit(string line, string deployment, string state) =>
        CircuitLine().Match(line) is { Success: true } m && m.Groups["deployment"].Value == deployment && m.Groups["state"].Value == state;

    /// <summary>ModelResilience's LogRetry.</summary>
    [GeneratedRegex(@"Model call to (?<deployment>\S+) failed; attempt \d+ in (?<delay>[0-9.]+) ms")]
    private static partial Regex RetryLine();

    /// <summary>ModelResilience's LogCircuitOpened, LogCircuitHalfOpened and LogCircuitClosed.</summary>
    [GeneratedRegex(@"Model deployment (?<deployment>\S+): circuit (?<state>opened|half-open|closed)")]
    private static partial Regex CircuitLine();

    private static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);
}
