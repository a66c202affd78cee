using System.Globalization;
using System.Runtime.InteropServices;
using Agents.Faults;

// dotnet Agents.Faults.dll [kill|cosmos|storage|instances|model|fuzz|all] [--runs N] [--kills N] [--seed N] [--outage-seconds N] [--out FILE] [--timeout-minutes N]
var scenario = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "all";
if (scenario is not ("kill" or "cosmos" or "storage" or "instances" or "model" or "fuzz" or "all") || args.Contains("--help"))
{
    Console.Error.WriteLine("usage: Agents.Faults [kill|cosmos|storage|instances|model|fuzz|all] [--runs 100 (kill), 30 (cosmos, storage, model: a phase), 20 (instances)] [--kills 10] [--seed 42] [--outage-seconds 10] [--out FILE] [--timeout-minutes 60]");
    return args.Contains("--help") ? 0 : 2;
}
int Option(string name, int fallback) =>
    Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
var output = Array.IndexOf(args, "--out") is var o and >= 0 && o + 1 < args.Length ? args[o + 1] : null;

// Bounded: everything stops after --timeout-minutes, or on Ctrl+C / SIGTERM, and stops what it started.
using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(Option("--timeout-minutes", 60)));
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
var repo = Local.FindRepository();
var work = Directory.CreateTempSubdirectory("agents-faults-").FullName;
var reports = new List<ScenarioReport>();
try
{
    if (scenario is "kill" or "all")
    {
        reports.Add(await KillUnderLoad.RunAsync(repo, Path.Combine(work, "kill"),
            new KillUnderLoad.Options(Option("--runs", 100), Option("--kills", 10), Option("--seed", 42)), stop.Token));
    }
    foreach (var (name, dependency) in new[] { ("cosmos", Outage.Dependency.Cosmos), ("storage", Outage.Dependency.Storage) })
    {
        if (scenario == name || scenario == "all")
        {
            reports.Add(await Outage.RunAsync(repo, Path.Combine(work, name), dependency,
                new Outage.Options(Option("--runs", 30), Option("--outage-seconds", 10)), stop.Token));
        }
    }
    if (scenario is "instances" or "all")
    {
        reports.Add(await TwoInstances.RunAsync(repo, Path.Combine(work, "instances"), new TwoInstances.Options(Option("--runs", 20)), stop.Token));
    }
    if (scenario is "model" or "all")
    {
        reports.Add(await ModelFailures.RunAsync(repo, Path.Combine(work, "model"), new ModelFailures.Options(Option("--runs", 30)), stop.Token));
    }
    if (scenario is "fuzz" or "all")
    {
        reports.Add(await Fuzz.RunAsync(repo, Path.Combine(work, "fuzz"), stop.Token));
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("Stopped before the end (after --timeout-minutes, or by a signal).");
    return 1;
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine(e.Message); // a build or a process missing, or a stand-in that would not start
    return 1;
}
finally
{
    try
    {
        Directory.Delete(work, recursive: true);
    }
    catch (IOException)
    {
        // a log still open by a process that is going away: the folder is in the temp directory
    }
}

foreach (var report in reports)
{
    Console.WriteLine(report.Markdown);
    if (output is not null)
    {
        await File.WriteAllTextAsync($"{output}.{report.Name}.md", report.Markdown);
    }
}
var failed = reports.Where(r => !r.Passed).Select(r => r.Name).ToList();
if (failed.Count > 0)
{
    Console.Error.WriteLine($"FAILED: {string.Join(", ", failed)} (see the figures above)");
}
return failed.Count == 0 ? 0 : 1;

void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
