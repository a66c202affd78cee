using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Agents.Domain.Runs;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Tools;

/// <summary>Who and what a tool call is for; tools with side effects key them on <see cref="IdempotencyKey"/>.</summary>
public sealed record ToolCallScope(string UserId, string TenantId, string ThreadId, string RunId, string ToolCallId)
{
    public string IdempotencyKey => $"{RunId}:{ToolCallId}";
}

/// <summary>
/// The tools agents may be granted. A tool is a plain C# method with a <c>[Description]</c>: its name, description and
/// JSON schema come from the method and its parameters (Microsoft.Extensions.AI's AIFunctionFactory). A parameter of
/// type <see cref="ToolCallScope"/> is filled in by us and hidden from the model.
/// </summary>
public sealed partial class ToolCatalog
{
    /// <summary>Longest result handed back to the model; tools should return far less.</summary>
    public const int MaxResultLength = 16_000;

    private static readonly object ScopeKey = typeof(ToolCallScope);
    private readonly Dictionary<string, AIFunction> tools = new(StringComparer.Ordinal);
    private readonly ILogger<ToolCatalog> logger;

    public ToolCatalog(IEnumerable<IToolProvider> providers, ILogger<ToolCatalog> logger)
    {
        this.logger = logger;
        var factoryOptions = new AIFunctionFactoryOptions
        {
            SerializerOptions = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() },
            ConfigureParameterBinding = p => p.ParameterType == typeof(ToolCallScope)
                ? new AIFunctionFactoryOptions.ParameterBindingOptions { ExcludeFromSchema = true, BindParameter = (_, args) => args.Context![ScopeKey] }
                : default,
        };
        foreach (var provider in providers)
        {
            foreach (var method in provider.GetType().GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<ToolAttribute>() is not { } tool)
                {
                    continue;
                }
                factoryOptions.Name = tool.Name;
                var function = AIFunctionFactory.Create(method, method.IsStatic ? null : provider, factoryOptions);
                tools.Add(tool.Name, function);
            }
        }
    }

    public IReadOnlyCollection<string> Names => tools.Keys;

    public bool Contains(string name) => tools.ContainsKey(name);

    /// <summary>The specs of the named tools that exist, in the given order.</summary>
    public IReadOnlyList<ToolSpec> Specs(IEnumerable<string> names) => names
        .Where(tools.ContainsKey)
        .Select(n => new ToolSpec(n, tools[n].Description, tools[n].JsonSchema))
        .ToList();

    /// <summary>Runs a tool. Every failure becomes an error result the model can read; nothing escapes.</summary>
    public async Task<ToolResult> InvokeAsync(ToolInvocation invocation, ToolCallScope scope, CancellationToken ct)
    {
        if (!tools.TryGetValue(invocation.Name, out var function))
        {
            return new ToolResult(invocation.ToolCallId, $"Unknown tool '{invocation.Name}'.", IsError: true);
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(invocation.Arguments) ? "{}" : invocation.Arguments);
            var args = new AIFunctionArguments(doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone()))
            {
                Context = new Dictionary<object, object?> { [ScopeKey] = scope },
            };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, invocation.TimeoutSeconds)));
            var result = await function.InvokeAsync(args, timeout.Token).ConfigureAwait(false);
            var text = result switch
            {
                null => "",
                string s => s,
                JsonElement e when e.ValueKind == JsonValueKind.String => e.GetString() ?? "",
                _ => JsonSerializer.Serialize(result),
            };
            var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            LogInvoked(logger, invocation.Name, scope.RunId, elapsedMs);
            return new ToolResult(invocation.ToolCallId, text.Length <= MaxResultLength ? text : text[..MaxResultLength]);
        }
        catch (JsonException e)
        {
            return new ToolResult(invocation.ToolCallId, $"The arguments are not valid JSON: {e.Message}", IsError: true);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ToolResult(invocation.ToolCallId, $"The tool did not finish within {invocation.TimeoutSeconds} s.", IsError: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or ToolException or OverflowException)
        {
            return new ToolResult(invocation.ToolCallId, $"The tool failed: {e.Message}", IsError: true);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // An unexpected failure: the model gets a neutral message; the details stay in our logs.
            LogFailed(logger, e, invocation.Name, scope.RunId);
            return new ToolResult(invocation.ToolCallId, "The tool failed unexpectedly.", IsError: true);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Tool {Tool} failed for run {RunId}")]
    private static partial void LogFailed(ILogger logger, Exception e, string tool, string runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tool {Tool} ran for run {RunId} in {ElapsedMs} ms")]
    private static partial void LogInvoked(ILogger logger, string tool, string runId, double elapsedMs);
}

/// <summary>A class whose <see cref="ToolAttribute"/> methods are tools.</summary>
public interface IToolProvider;

/// <summary>Marks a method as a tool; the description comes from <c>[Description]</c>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ToolAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>A tool's own, expected failure (bad input); its message goes to the model.</summary>
public sealed class ToolException(string message) : Exception(message);
