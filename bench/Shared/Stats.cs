namespace Agents.Benchmarks.Support;

/// <summary>Percentiles and the like of a set of samples (milliseconds, usually).</summary>
public sealed record Distribution(int Count, double P50, double P90, double P95, double P99, double Max, double Mean)
{
    public static Distribution Of(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToList();
        return new Distribution(sorted.Count, Stats.Percentile(sorted, 50), Stats.Percentile(sorted, 90), Stats.Percentile(sorted, 95),
            Stats.Percentile(sorted, 99), sorted.Count == 0 ? double.NaN : sorted[^1], sorted.Count == 0 ? double.NaN : sorted.Average());
    }
}

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
        var d = Distribution.Of(values);
        return (d.P50, d.P90, d.P99, d.Mean);
    }

    public static double Median(IEnumerable<double> values) => Distribution.Of(values).P50;
}
