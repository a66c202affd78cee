using Azure;
using Azure.Core;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agents.Application.Storage.Queues;

/// <summary>
/// The app's queues (Azure.Storage.Queues, registered through Microsoft.Extensions.Azure) on the storage account of
/// the connection the Functions queue triggers use, <see cref="Connection"/>: a connection string locally (Azurite,
/// or <c>UseDevelopmentStorage=true</c>), and in Azure its identity-based form, <c>AzureWebJobsStorage__queueServiceUri</c>
/// with the app's managed identity (the <see cref="TokenCredential"/> the other clients use). Messages are base64 text,
/// which the queue trigger expects.
/// </summary>
public static class StorageQueues
{
    /// <summary>The connection setting the queue triggers name, read here the same way.</summary>
    public const string Connection = "AzureWebJobsStorage";

    public static IServiceCollection AddStorageQueues(this IServiceCollection services, IConfiguration configuration)
    {
        var connection = configuration.GetSection(Connection);
        services.AddAzureClients(clients =>
        {
            clients.AddClient<QueueServiceClient, QueueClientOptions>((options, credential) => connection.Value is { Length: > 0 } connectionString
                    ? new QueueServiceClient(connectionString, options)
                    : connection["queueServiceUri"] is { Length: > 0 } uri
                        ? new QueueServiceClient(new Uri(uri), credential, options)
                        : throw new InvalidOperationException($"Set {Connection} (a connection string) or {Connection}__queueServiceUri (with a managed identity)."))
                .ConfigureOptions(options =>
                {
                    options.MessageEncoding = QueueMessageEncoding.Base64;
                    // A send is on a request's path (a run start) or an activity's (which Durable retries): fail in
                    // seconds, as a 503 or a retried activity, rather than after the SDK's default minutes.
                    options.Retry.MaxRetries = 2;
                    options.Retry.Delay = TimeSpan.FromMilliseconds(200);
                    options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
                    options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
                });
            clients.UseCredential(sp => sp.GetRequiredService<TokenCredential>());
        });
        return services;
    }

    /// <summary>
    /// Whether a failure is the queue service being unreachable or overloaded: a network failure, a timeout, 429 or 5xx
    /// (after the SDK's retries, which throw them together).
    /// </summary>
    public static bool IsUnavailable(Exception e) => e switch
    {
        RequestFailedException { Status: 0 or 408 or 429 or >= 500 } => true,
        AggregateException { InnerExceptions.Count: > 0 } all => all.InnerExceptions.All(IsUnavailable),
        _ => false,
    };
}
