using System.Globalization;

namespace Agents.Benchmarks.Streaming;

/// <summary>Command-line settings. Everything has a default, so a bare run measures what docs/benchmarks.md shows.</summary>
public sealed class BenchOptions
{
    public const string Usage = """
        Agents.Benchmarks.Streaming: time to first token through our stream vs. straight from the model simulator, and
        memory per open SSE subscriber. Starts a private local stack, model simulator and the Functions app on func-host
        (with an Azurite of its own) on free loopback ports unless they are given.

          --repo DIR               repository whose Release builds and local/ are used (default: the one around this program)
          --docs PATH              markdown file whose Streaming section is rewritten (default: <repo>/docs/benchmarks.md)
          --no-docs                only print the results
          --stack-env FILE         use a running local stack (its env file) instead of starting one
          --model-endpoint URL     use a running model simulator (e.g. http://127.0.0.1:8091/v1/)
          --host URL               use a running Functions host (then --host-pid PID for the memory figures)
          --host-pid PID           that host's process (its worker, the Agents.Functions.dll child, is found from it)
          --host-env KEY=VALUE     an extra app setting for the host it starts (repeatable), e.g. a host.json override
                                   AzureFunctionsJobHost__extensions__queues__maxPollingInterval=00:00:00.100
          --requests N             timed requests per path and directive (default 30)
          --warmup N               untimed requests before them (default 3)
          --ttft LIST              the simulator's ttft values in ms (default 100,0)
          --tokens N               tokens per answer (default 20)
          --subscribers N          concurrent SSE subscribers of one run (default 1000)
          --skip-ttft | --skip-memory
          --timeout-minutes N      the whole run stops after this (default 20)
        """;

    public string? Repo { get; private set; }

    public string? Docs { get; private set; }

    public bool WriteDocs { get; private set; } = true;

    public string? StackEnv { get; private set; }

    public Uri? ModelEndpoint { get; private set; }

    public Uri? HostUrl { get; private set; }

    public int? HostPid { get; private set; }

    public Dictionary<string, string> HostEnv { get; } = new(StringComparer.Ordinal);

    public int Requests { get; private set; } = 30;

    public int Warmup { get; private set; } = 3;

    public IReadOnlyList<int> TtftValues { get; private set; } = [100, 0];

    public int Tokens { get; private set; } = 20;

    public int Subscribers { get; private set; } = 1000;

    public bool SkipTtft { get; private set; }

    public bool SkipMemory { get; private set; }

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromMinutes(20);

    /// <summary>The options, or null with the reason when the arguments are wrong (or help was asked for).</summary>
    public static (BenchOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{name} needs a value");
            int Number(int min) => int.Parse(Value(), NumberStyles.None, CultureInfo.InvariantCulture) is var n && n >= min
                ? n : throw new FormatException($"{name} must be at least {min}");
            try
            {
                switch (name)
                {
                    case "--repo": o.Repo = Path.GetFullPath(Value()); break;
                    case "--docs": o.Docs = Path.GetFullPath(Value()); break;
                    case "--no-docs": o.WriteDocs = false; break;
                    case "--stack-env": o.StackEnv = Path.GetFullPath(Value()); break;
                    case "--model-endpoint": o.ModelEndpoint = new Uri(Value().TrimEnd('/') + "/"); break;
                    case "--host": o.HostUrl = new Uri(Value()); break;
                    case "--host-pid": o.HostPid = Number(1); break;
                    case "--host-env":
                        var pair = Value().Split('=', 2);
                        o.HostEnv[pair[0]] = pair.Length == 2 ? pair[1] : throw new FormatException("--host-env takes KEY=VALUE");
                        break;
                    case "--requests": o.Requests = Number(1); break;
                    case "--warmup": o.Warmup = Number(0); break;
                    case "--ttft":
                        o.TtftValues = [.. Value().Split(',').Select(v => int.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture))];
                        break;
                    case "--tokens": o.Tokens = Number(1); break;
                    case "--subscribers": o.Subscribers = Number(1); break;
                    case "--skip-ttft": o.SkipTtft = true; break;
                    case "--skip-memory": o.SkipMemory = true; break;
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
        if (o.HostUrl is not null && (o.StackEnv is null || o.ModelEndpoint is null))
        {
            return (null, "--host needs --stack-env (for tokens from its issuer) and --model-endpoint (the simulator it calls)");
        }
        return (o, null);
    }
}
