using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Agents.Benchmarks.Support;

/// <summary>Where the figures were taken: machine, load, commit, and a process's GC mode.</summary>
public static class MachineInfo
{
    /// <summary>CPUs (and the CPU model of /proc/cpuinfo), memory, .NET and OS.</summary>
    public static string Describe()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memKb = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return FormattableString.Invariant($"{Environment.ProcessorCount} CPUs ({cpu}), {memKb / 1048576.0:F0} GiB RAM, .NET SDK {Run("dotnet", "--version")} ({RuntimeInformation.FrameworkDescription}), {RuntimeInformation.OSDescription}");
    }

    /// <summary>The 1, 5 and 15 minute load averages.</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>The commit checked out, with "+ changes" when the working tree differs from it.</summary>
    public static string Commit(string repo)
    {
        var commit = Run("git", "-C", repo, "rev-parse", "--short", "HEAD");
        var dirty = Run("git", "-C", repo, "status", "--porcelain", "--untracked-files=no");
        return dirty is { Length: > 0 } and not "unknown" ? $"{commit} + uncommitted changes" : commit;
    }

    /// <summary>"Server GC" or "workstation GC" of a running .NET process (its DOTNET_gcServer, else its runtimeconfig.json).</summary>
    public static string GcMode(int? pid, string? runtimeConfig)
    {
        if (pid is { } p && File.Exists($"/proc/{p}/environ"))
        {
            var setting = File.ReadAllText($"/proc/{p}/environ").Split('\0').FirstOrDefault(v => v.StartsWith("DOTNET_gcServer=", StringComparison.Ordinal));
            if (setting is not null)
            {
                return setting.EndsWith("=1", StringComparison.Ordinal) ? "Server GC" : "workstation GC";
            }
        }
        var server = runtimeConfig is not null && File.Exists(runtimeConfig) &&
            System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(runtimeConfig))?["runtimeOptions"]?["configProperties"]?["System.GC.Server"]?.GetValue<bool>() == true;
        return server ? "Server GC" : "workstation GC";
    }

    public static string Run(string file, params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}

/// <summary>A section of a markdown file between <c>&lt;!-- NAME:begin ... --&gt;</c> and <c>&lt;!-- NAME:end --&gt;</c>, rewritten by a benchmark.</summary>
public static class DocsSection
{
    /// <summary>Replaces the section's content (keeping the rest of the file), or appends it under <paramref name="heading"/>.</summary>
    public static void Write(string path, string name, string writer, string heading, string markdown)
    {
        var begin = $"<!-- {name}:begin (written by {writer}; edits inside are overwritten) -->";
        var end = $"<!-- {name}:end -->";
        var block = $"{begin}\n{markdown.TrimEnd()}\n{end}";
        var text = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n";
        var open = text.IndexOf($"<!-- {name}:begin", StringComparison.Ordinal);
        var close = text.IndexOf(end, StringComparison.Ordinal);
        text = open >= 0 && close > open
            ? string.Concat(text.AsSpan(0, open), block, text.AsSpan(close + end.Length))
            : text.TrimEnd() + $"\n\n## {heading}\n\n{block}\n";
        File.WriteAllText(path, text);
    }
}
