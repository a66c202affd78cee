using System.Collections.Concurrent;

namespace Agents.ModelSimulator.Completions;

/// <summary>
/// Counts sightings of each exact request that carries <c>times=K</c>, so "fail twice, then succeed" works
/// across a client's retries. In memory only: a restart forgets, which is what tests want.
/// </summary>
internal sealed class FailureCounter
{
    private readonly ConcurrentDictionary<string, int> _sightings = new(StringComparer.Ordinal);

    /// <summary>Records one more sighting and returns how many there have been, this one included.</summary>
    public int Increment(string requestKey) => _sightings.AddOrUpdate(requestKey, 1, static (_, count) => count + 1);
}
