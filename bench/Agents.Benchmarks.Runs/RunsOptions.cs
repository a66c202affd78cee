using System.Globalization;

namespace Agents.Benchmarks.Runs;

/// <summary>One way to run the host: a name and the app settings it gets beyond the required ones (none: host.json as it is).</summary>
public sealed record HostConfiguration(string Name, IReadOnlyDictionary<string, string> Settings)
{
    public const string DefaultsName = "defaults";

    private const string HostJsonPrefix = "AzureFunctionsJobHost__";

    /// <summary>The settings, host.json overrides written as host.json paths (extensions.durableTask.storageProvider.maxQueuePollingInterval).</summary>
    public string Describe() => Settings.Count == 0
        ? "none (host.json and the app's defaults)"
        : string.Join(", ", Settings.Select(s => s.Key.StartsWith(HostJsonPrefix, StringComparison.Ordinal)
            ? $"host.json `{s.Key[HostJsonPrefix.Length..].Replace("__", ".", StringComparison.Ordinal)}` = `{s.Value}`"
            : $"`{s.Key}={s.Value}`"));
}

/// <summary>Command-line settings. Everything has a default, so a bare run measures what docs/benchmarks.md shows.</summary>
public sealed class RunsOptions
{
    public const string DurablePolling = "AzureFunctionsJobHost__extensions__durableTask__storageProvider__maxQueuePollingInterval";

    public const string Usage = """
        Agents.Benchmarks.Runs: run latency on the Functions host. For each host configuration (the repository's
        host.json first, then every --variant), on a fresh Functions host with an Azurite of its own:
          (a) one-step runs, POST .../runs to status completed: by polling GET .../runs/{id} every --poll-ms, and with
              POST ?wait=true (p50, p95, max over --runs runs after --warmup runs);
          (b) time from POST .../runs with stream=true to the first message.delta: --busy-samples back to back, and
              --idle-samples each after --idle-seconds without any request;
        with where the time goes, from each orchestration's history. Starts a private local stack and model simulator
        on free loopback ports unless they are given.

          --repo DIR               repository whose builds and local/ are used (default: the one around this program)
          --configuration NAME     build of src/Functions to run (default Release)
          --docs PATH              markdown file whose "Runs on the Functions host" section is rewritten
                                   (default: <repo>/docs/benchmarks.md)
          --no-docs                only print the results
          --stack-env FILE         use a running local stack (its env file) instead of starting one
          --model-endpoint URL     use a running model simulator (e.g. http://127.0.0.1:8091/v1/)
          --message TEXT           the user message of every run (default "hi [[sim tokens=5 tps=1000]]")
          --runs N                 timed one-step runs per way (default 50)
          --warmup N               untimed one-step runs before them (default 5)
          --one-step poll|wait|both  how a one-step run's end is seen (default both)
          --poll-ms N              interval of the GET polls (default 20)
          --busy-samples N         first-token samples back to back (default 10, after 2 untimed)
          --idle-samples N         first-token samples after an idle time (default 3; 0 skips them)
          --idle-seconds N         the idle time before each of them (default 120)
          --host-env KEY=VALUE     an app setting for every configuration (repeatable)
          --variant NAME           one more configuration, measured after the defaults; its settings follow as
          --set KEY=VALUE          (repeatable), e.g. --variant durable-1s --set
                                   AzureFunctionsJobHost__extensions__durableTask__storageProvider__maxQueuePollingInterval=00:00:01
          --compare-polling        adds two variants: durable-100ms and durable-1s (the Durable task hub's queues
                                   polled at most every 100 ms or 1 s instead of host.json's 250 ms)
          --no-defaults            leave out the host.json defaults configuration
          --timeout-minutes N      the whole run stops after this (default 120)
        """;

    private readonly List<(string Name, Dictionary<string, string> Settings)> variants = [];

    public string? Repo { get; private set; }

    public string Configuration { get; private set; } = "Release";

    public string? Docs { get; private set; }

    public bool WriteDocs { get; private set; } = true;

    public string? StackEnv { get; private set; }

    public Uri? ModelEndpoint { get; private set; }

    public string Message { get; private set; } = "hi [[sim tokens=5 tps=1000]]";

    public int Runs { get; private set; } = 50;

    public int Warmup { get; private set; } = 5;

    public bool Poll { get; private set; } = true;

    public bool Wait { get; private set; } = true;

    public int PollMilliseconds { get; private set; } = 20;

    public int BusySamples { get; private set; } = 10;

    public int IdleSamples { get; private set; } = 3;

    public int IdleSeconds { get; private set; } = 120;

    public Dictionary<string, string> HostEnv { get; } = new(StringComparer.Ordinal);

    public bool IncludeDefaults { get; private set; } = true;

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromMinutes(120);

    /// <summary>The configurations in the order they are measured.</summary>
    public IReadOnlyList<HostConfiguration> Configurations()
    {
        var list = new List<HostConfiguration>();
        if (IncludeDefaults)
        {
            list.Add(new HostConfiguration(HostConfiguration.DefaultsName, new Dictionary<string, string>(HostEnv, StringComparer.Ordinal)));
        }
        foreach (var (name, settings) in variants)
        {
            var all = new Dictionary<string, string>(HostEnv, StringComparer.Ordinal);
            foreach (var (key, value) in settings)
            {
                all[key] = value;
            }
            list.Add(new HostConfiguration(name, all));
        }
        return list;
    }

    /// <summary>The options, or null with the reason when the arguments are wrong (or help was asked for).</summary>
    public static (RunsOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        var o = new RunsOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{name} needs a value");
            int Number(int min) => int.Parse(Value(), NumberStyles.None, CultureInfo.InvariantCulture) is var n && n >= min
                ? n : throw new FormatException($"{name} must be at least {min}");
            (string, string) Pair()
            {
                var pair = Value().Split('=', 2);
                return pair.Length == 2 && pair[0].Length > 0 ? (pair[0], pair[1]) : throw new FormatException($"{name} takes KEY=VALUE");
            }
            try
            {
                switch (name)
                {
                    case "--repo": o.Repo = Path.GetFullPath(Value()); break;
                    case "--configuration": o.Configuration = Value(); break;
                    case "--docs": o.Docs = Path.GetFullPath(Value()); break;
                    case "--no-docs": o.WriteDocs = false; break;
                    case "--stack-env": o.StackEnv = Path.GetFullPath(Value()); break;
                    case "--model-endpoint": o.ModelEndpoint = new Uri(Value().TrimEnd('/') + "/"); break;
                    case "--message": o.Message = Value(); break;
                    case "--runs": o.Runs = Number(1); break;
                    case "--warmup": o.Warmup = Number(0); break;
                    case "--one-step":
                        var how = Value();
                        (o.Poll, o.Wait) = how switch
                        {
                            "poll" => (true, false),
                            "wait" => (false, true),
                            "both" => (true, true),
                            _ => throw new FormatException("--one-step is poll, wait or both"),
                        };
                        break;
                    case "--poll-ms": o.PollMilliseconds = Number(1); break;
                    case "--busy-samples": o.BusySamples = Number(0); break;
                    case "--idle-samples": o.IdleSamples = Number(0); break;
                    case "--idle-seconds": o.IdleSeconds = Number(0); break;
                    case "--host-env":
                        var (key, value) = Pair();
                        o.HostEnv[key] = value;
                        break;
                    case "--variant":
                        var variant = Value();
                        if (variant.Length == 0 || !variant.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                        {
                            throw new FormatException("--variant takes a name of letters, digits, '-' and '_'");
                        }
                        o.variants.Add((variant, new Dictionary<string, string>(StringComparer.Ordinal)));
                        break;
                    case "--set":
                        if (o.variants.Count == 0)
                        {
                            throw new FormatException("--set belongs to a --variant NAME before it (--host-env sets a value for every configuration)");
                        }
                        var (k, v) = Pair();
                        o.variants[^1].Settings[k] = v;
                        break;
                    case "--compare-polling":
                        o.variants.Add(("durable-100ms", new Dictionary<string, string>(StringComparer.Ordinal) { [DurablePolling] = "00:00:00.100" }));
                        o.variants.Add(("durable-1s", new Dictionary<string, string>(StringComparer.Ordinal) { [DurablePolling] = "00:00:01" }));
                        break;
                    case "--no-defaults": o.IncludeDefaults = false; break;
                    case "--timeout-minutes": o.Timeout = TimeSpan.FromMinutes(Number(1)); break;
                    case "-h" or "--help": return (null, Usage);
                    default: return (null, $"unknown argument {name}\n\n{Usage}");
                }
            }
            catch (FormatException e)
            {
                return (null, e.Message);
            }
        }
        var names = o.Configurations().Select(c => c.Name).ToList();
        if (names.Count == 0)
        {
            return (null, "--no-defaults needs at least one --variant");
        }
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
        {
            return (null, "every configuration needs a name of its own (defaults is taken by the host.json defaults)");
        }
        return (o, null);
    }
}
