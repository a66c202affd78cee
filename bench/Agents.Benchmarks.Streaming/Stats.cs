namespace Agents.Benchmarks.Streaming;

public static class Stats
{
    /// <summary>The p-th percentile of sorted values, interpolating linearly between the closest ranks.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }
        var rank = p / 100 * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + ((rank - low) * (sorted[high] - sorted[low]));
    }

    public static (double P50, double P90, double P99, double Mean) Summary(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return (Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 99), sorted.Count == 0 ? double.NaN : sorted.Average());
    }
}
