using System.Globalization;

namespace Agents.Benchmarks.Support;

/// <summary>CPU time used by processes, from /proc (Linux).</summary>
public static class ProcessCpu
{
    private const double ClockTicksPerSecond = 100; // USER_HZ, 100 on Linux

    /// <summary>User + system CPU seconds of the process so far (0 if it is gone).</summary>
    public static double Seconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields from the 3rd on (state)
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>CPU seconds of a process and all its descendants (the local stack's node children, a host's worker).</summary>
    public static double TreeSeconds(int pid) => Tree(pid).Sum(Seconds);

    /// <summary>The process and its descendants.</summary>
    public static IReadOnlySet<int> Tree(int pid)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var child))
            {
                try
                {
                    var stat = File.ReadAllText($"{dir}/stat");
                    parents[child] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // The process ended meanwhile.
                }
            }
        }
        var tree = new HashSet<int> { pid };
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (child, parent) in parents)
            {
                grew |= tree.Contains(parent) && tree.Add(child);
            }
        }
        return tree;
    }
}
