using System.Globalization;
using System.Text;

namespace Agents.Faults;

/// <summary>What a scenario measured, as the markdown section docs/reliability.md shows, and whether its promises held.</summary>
public sealed record ScenarioReport(string Name, bool Passed, string Markdown)
{
    /// <summary>A report's opening: when, at which commit, on what machine and load, by which command; then the table's head.</summary>
    public static StringBuilder Begin(string repo, string loadBefore, string command, string after = "")
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC at commit `{MachineInfo.Commit(repo)}` on {MachineInfo.Describe()};");
        text.AppendLine(CultureInfo.InvariantCulture, $"load average before: {loadBefore}; after: {MachineInfo.LoadAverage()}. Command: `{command}`{after}.");
        text.AppendLine();
        text.AppendLine("| | measured | promised |");
        text.AppendLine("|---|---|---|");
        return text;
    }

    /// <summary>One row of a report's table.</summary>
    public static void Row(StringBuilder text, string what, object measured, string promised) =>
        text.AppendLine(CultureInfo.InvariantCulture, $"| {what} | {measured} | {promised} |");
}
