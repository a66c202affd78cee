using Agents.Domain.Runs;

namespace Agents.Functions.Tests.Infrastructure;

public static class Updates
{
    /// <summary>The run's steps as the store would hold them after applying every update in order.</summary>
    public static IReadOnlyList<RunStep> MergedSteps(this IEnumerable<RunUpdate> updates) =>
        updates.OrderBy(u => u.Version).Aggregate((IReadOnlyList<RunStep>)[], (stored, u) => RunSteps.Merge(stored, u.Steps));

    /// <summary>The step indexes each update carries (as "0,1,2"), in order of the updates.</summary>
    public static IReadOnlyList<string> StepIndexes(this IEnumerable<RunUpdate> updates) =>
        updates.Select(u => string.Join(",", u.Steps.Select(s => s.Index))).ToList();

    public static string StatusOf(this RunEvent e) => e.Data.GetProperty("status").GetString() ?? "";
}
