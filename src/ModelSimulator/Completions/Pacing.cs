namespace Agents.ModelSimulator.Completions;

/// <summary>How a reply is delivered: <c>ttft=</c>, <c>tps=</c> and <c>drop=</c>.</summary>
internal readonly record struct Pacing(int TimeToFirstTokenMs, double? TokensPerSecond, int? DropAfter)
{
    public TimeSpan TimeToFirstToken => TimeSpan.FromMilliseconds(TimeToFirstTokenMs);

    /// <summary>Pause between two streamed deltas; zero when no rate was asked for (benchmarks run flat out).</summary>
    public TimeSpan BetweenDeltas => TokensPerSecond is { } tps ? TimeSpan.FromMilliseconds(1000 / tps) : TimeSpan.Zero;
}
