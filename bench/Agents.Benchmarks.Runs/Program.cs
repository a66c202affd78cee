using System.Runtime.InteropServices;
using Agents.Benchmarks.Runs;

var (options, error) = RunsOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(error);
    return error == RunsOptions.Usage ? 0 : 2;
}

// Bounded: the whole run stops after --timeout-minutes, or on Ctrl+C / SIGTERM, and stops what it started.
using var stop = new CancellationTokenSource(options.Timeout);
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
try
{
    return await RunsBenchmark.RunAsync(options, args, stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine($"Stopped before the end (after --timeout-minutes {options.Timeout.TotalMinutes}, or by a signal).");
    return 1;
}

void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
