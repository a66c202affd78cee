using System.Text.Json.Serialization;
using Agents.ModelSimulator.Models;

namespace Agents.ModelSimulator.Completions;

/// <summary>Source-generated (de)serialization: no reflection on the request path.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ChatRequest))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelInfo))]
[JsonSerializable(typeof(SimulatorStats))]
internal sealed partial class SimJsonContext : JsonSerializerContext;
