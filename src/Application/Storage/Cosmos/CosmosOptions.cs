using System.ComponentModel.DataAnnotations;

namespace Agents.Application.Storage.Cosmos;

public sealed class CosmosOptions
{
    public const string Section = "Cosmos";

    /// <summary>Account endpoint, e.g. https://acct.documents.azure.com:443/ or the local emulator.</summary>
    [Required]
    public Uri? Endpoint { get; set; }

    /// <summary>Account key. Absent in Azure (local auth is disabled; the managed identity is used).</summary>
    public string? Key { get; set; }

    [Required, RegularExpression("^[A-Za-z0-9-_]{1,64}$")]
    public string Database { get; set; } = "agents";

    /// <summary>Local emulator only: accept its self-signed certificate and stay on the given endpoint.</summary>
    public bool Emulator { get; set; }

    /// <summary>Create the database and containers at start-up if missing (local and tests; Bicep does it in Azure).</summary>
    public bool CreateIfNotExists { get; set; }
}
