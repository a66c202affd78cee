namespace Agents.IntegrationTests.Infrastructure;

/// <summary>
/// The local stack the tests run against, as `./dev test` started it: its env file (AGENTS_TEST_ENV_FILE) and the
/// model simulator (AGENTS_TEST_MODEL_ENDPOINT). Without them the tests fail with a message saying how to run them.
/// </summary>
public sealed class StackEnvironment
{
    private static readonly Lazy<StackEnvironment> Shared = new(Load);

    private StackEnvironment(IReadOnlyDictionary<string, string> values, Uri modelEndpoint)
    {
        Values = values;
        ModelEndpoint = modelEndpoint;
    }

    public static StackEnvironment Current => Shared.Value;

    public IReadOnlyDictionary<string, string> Values { get; }

    public Uri ModelEndpoint { get; }

    public Uri CosmosEndpoint => new(Values["AGENTS_COSMOS_ENDPOINT"]);

    public string CosmosKey => Values["AGENTS_COSMOS_KEY"];

    public string StorageConnection => Values["AGENTS_STORAGE_CONNECTION"];

    public string Issuer => Values["AGENTS_OIDC_ISSUER"];

    /// <summary>The repository root (where Agents.sln is).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    private static StackEnvironment Load()
    {
        var file = Environment.GetEnvironmentVariable("AGENTS_TEST_ENV_FILE");
        var model = Environment.GetEnvironmentVariable("AGENTS_TEST_MODEL_ENDPOINT");
        if (string.IsNullOrEmpty(file) || !File.Exists(file) || string.IsNullOrEmpty(model))
        {
            throw new InvalidOperationException(
                "These tests need the local stack: run them with `./dev test` (it starts Azurite, the Cosmos DB emulator, " +
                "the OIDC provider and the model simulator on free ports and sets AGENTS_TEST_ENV_FILE and AGENTS_TEST_MODEL_ENDPOINT).");
        }
        var values = File.ReadAllLines(file)
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
        return new StackEnvironment(values, new Uri(model));
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Agents.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Agents.sln not found above " + AppContext.BaseDirectory);
    }
}
