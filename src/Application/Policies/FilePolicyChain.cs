using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Agents.Application.Policies;

/// <summary>
/// The chain of the configuration files (<c>Policies:Chain:N:Policy</c>, <c>:Id</c>, <c>:Enabled</c>, <c>:TimeoutMs</c>,
/// <c>:FailMode</c>, <c>:Settings:NAME</c>): the lowest layer. Configuration values are strings, so settings are
/// converted to the types their policy declares; an invalid chain stops the start, naming the setting.
/// </summary>
public sealed class FilePolicyChain
{
    public const string Section = PolicyOptions.Section + ":Chain";

    public FilePolicyChain(IConfiguration configuration, PolicyCatalog catalog)
    {
        Entries = configuration.GetSection(Section).GetChildren()
            .OrderBy(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue)
            .Select(c => Read(c, catalog))
            .ToList();
    }

    public IReadOnlyList<PolicyEntry> Entries { get; }

    private static PolicyEntry Read(IConfigurationSection section, PolicyCatalog catalog)
    {
        string? Value(string key) => section.GetChildren().FirstOrDefault(c => string.Equals(c.Key, key, StringComparison.OrdinalIgnoreCase))?.Value;
        var entry = new PolicyEntry
        {
            Policy = Value("Policy"),
            Id = Value("Id"),
            Enabled = bool.TryParse(Value("Enabled"), out var enabled) ? enabled : null,
            TimeoutMs = int.TryParse(Value("TimeoutMs"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var timeout) ? timeout : null,
            FailMode = Value("FailMode")?.ToLowerInvariant(),
        };
        var settings = section.GetChildren().FirstOrDefault(c => string.Equals(c.Key, "Settings", StringComparison.OrdinalIgnoreCase));
        if (settings is null || ToJson(settings) is not JsonObject raw)
        {
            return entry;
        }
        var policy = catalog.Find(entry.PolicyName);
        // Settings names are matched without regard to case (environment variables are often upper-cased).
        var named = new JsonObject();
        foreach (var (key, value) in raw)
        {
            var field = policy?.Schema.Fields.FirstOrDefault(f => string.Equals(f.Name, key, StringComparison.OrdinalIgnoreCase));
            named[field?.Name ?? key] = value?.DeepClone();
        }
        return entry with { Settings = policy?.Schema.Coerce(named) ?? named };
    }

    /// <summary>A configuration section as JSON: children with keys 0..n become an array, others an object, leaves strings.</summary>
    private static JsonNode? ToJson(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return section.Value is null ? null : JsonValue.Create(section.Value);
        }
        if (children.All(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            return new JsonArray(children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)).Select(ToJson).ToArray());
        }
        var result = new JsonObject();
        foreach (var child in children)
        {
            result[child.Key] = ToJson(child);
        }
        return result;
    }
}

/// <summary>Validates the file chain when the host starts (through <see cref="PolicyOptions"/>), naming each bad setting.</summary>
public sealed class FilePolicyChainValidator(IServiceProvider services) : IValidateOptions<PolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, PolicyOptions options)
    {
        var file = (FilePolicyChain)services.GetService(typeof(FilePolicyChain))!;
        var configuration = (PolicyConfiguration)services.GetService(typeof(PolicyConfiguration))!;
        var errors = configuration.ValidateChain(file.Entries, FilePolicyChain.Section);
        return errors.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(errors.Select(e => $"{e.Field}: {e.Message}"));
    }
}
