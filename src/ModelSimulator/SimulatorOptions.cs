namespace Agents.ModelSimulator;

/// <summary>Settings under <c>Simulator:</c> (appsettings, environment <c>Simulator__DefaultTokens</c>, or <c>--Simulator:DefaultTokens=</c>).</summary>
internal sealed class SimulatorOptions
{
    public const string SectionName = "Simulator";

    private static readonly string[] DefaultModels = ["sim-small", "sim-large", "sim-judge"];

    /// <summary>
    /// Model ids listed by <c>/v1/models</c>. Left empty by default because the configuration binder appends
    /// to a pre-filled list instead of replacing it.
    /// </summary>
    public IList<string> Models { get; } = new List<string>();

    /// <summary>Length, in tokens, of the answer to a request without a directive.</summary>
    public int DefaultTokens { get; set; } = 12;

    public IReadOnlyList<string> EffectiveModels => Models.Count > 0 ? [.. Models] : DefaultModels;
}
