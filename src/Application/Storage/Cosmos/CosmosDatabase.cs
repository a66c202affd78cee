using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Core;
using Microsoft.Azure.Cosmos;

namespace Agents.Application.Storage.Cosmos;

/// <summary>The one <see cref="CosmosClient"/> of the process and its containers.</summary>
public sealed class CosmosDatabase : IDisposable
{
    /// <summary>Documents use the same JSON conventions as the API: camelCase, enums as strings, no nulls.</summary>
    public static readonly JsonSerializerOptions Json = CreateJson();

    private readonly CosmosClient client;
    private readonly CosmosOptions options;

    public CosmosDatabase(CosmosOptions options, TokenCredential? credential)
    {
        this.options = options;
        var clientOptions = new CosmosClientOptions
        {
            ConnectionMode = ConnectionMode.Gateway,
            UseSystemTextJsonSerializerWithOptions = Json,
            ApplicationName = "agents",
            MaxRetryAttemptsOnRateLimitedRequests = 9,
            RequestTimeout = TimeSpan.FromSeconds(10),
        };
        if (options.Emulator)
        {
            // The local emulator serves a self-signed certificate and advertises no other regions.
            clientOptions.LimitToEndpoint = true;
            // One handler for the process, with a bounded pool: a new handler per client would open a connection per
            // concurrent request and keep it (seen with 1,000 open streams polling the emulator).
            clientOptions.HttpClientFactory = () => new HttpClient(EmulatorHandler.Value, disposeHandler: false);
        }
        var endpoint = options.Endpoint!.AbsoluteUri;
        client = string.IsNullOrEmpty(options.Key)
            ? new CosmosClient(endpoint, credential ?? throw new InvalidOperationException("Cosmos:Key is empty and no token credential is configured."), clientOptions)
            : new CosmosClient(endpoint, options.Key, clientOptions);
    }

    public CosmosClient Client => client;

    private static readonly Lazy<HttpClientHandler> EmulatorHandler = new(() => new HttpClientHandler
    {
        MaxConnectionsPerServer = 32,
        ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
    });

    public string DatabaseName => options.Database;

    public Container Container(string name) => client.GetContainer(options.Database, name);

    /// <summary>Creates the database and every container if they do not exist (local stack and tests only).</summary>
    public async Task EnsureCreatedAsync(CancellationToken ct)
    {
        var db = await client.CreateDatabaseIfNotExistsAsync(options.Database, cancellationToken: ct).ConfigureAwait(false);
        foreach (var name in Containers.All)
        {
            var properties = new ContainerProperties(name, Containers.PartitionKeyPath)
            {
                DefaultTimeToLive = Containers.WithTimeToLive.Contains(name) ? -1 : null,
            };
            await db.Database.CreateContainerIfNotExistsAsync(properties, cancellationToken: ct).ConfigureAwait(false);
        }
    }

    public void Dispose() => client.Dispose();

    private static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        return json;
    }
}
