namespace Agents.Faults;

/// <summary>What a scenario measured, as the markdown section docs/reliability.md shows, and whether its promises held.</summary>
public sealed record ScenarioReport(string Name, bool Passed, string Markdown);
