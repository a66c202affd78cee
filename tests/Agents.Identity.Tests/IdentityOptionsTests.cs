using Agents.Identity.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Shouldly;
using Xunit;

namespace Agents.Identity.Tests;

public sealed class IdentityOptionsTests
{
    private static IdentityOptions Bind(Dictionary<string, string?> settings)
    {
        var options = new IdentityOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("Identity").Bind(options);
        return options;
    }

    [Fact]
    public void ValidLocalProvider_HasNoErrors_AndDefaults()
    {
        var options = Bind(IdentityServices.OidcSettings("http://127.0.0.1:5555"));

        options.Validate().ShouldBeEmpty();
        options.TierClaim.ShouldBe("tier");
        options.Providers[0].ResolvedMetadataAddress.ShouldBe("http://127.0.0.1:5555/.well-known/openid-configuration");
    }

    [Fact]
    public void EntraDefaults_PointAtLoginMicrosoftOnline()
    {
        var options = Bind(new()
        {
            ["Identity:Providers:0:Name"] = "entra",
            ["Identity:Providers:0:Kind"] = "entra",
            ["Identity:Providers:0:AllowedTenants:0"] = "8f9c2b1e-52d4-4a2b-9f1e-3c6d7e8f9a0b",
            ["Identity:Providers:0:Audiences:0"] = "api://agents",
        });

        options.Validate().ShouldBeEmpty();
        var provider = options.Providers[0];
        provider.ResolvedMetadataAddress.ShouldBe("https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration");
        provider.TrustedIssuers().ShouldBe(["https://login.microsoftonline.com/8f9c2b1e-52d4-4a2b-9f1e-3c6d7e8f9a0b/v2.0"]);
        options.ClockSkewSeconds.ShouldBe(30);
        options.KeyRefreshMinIntervalSeconds.ShouldBe(30);
    }

    [Fact]
    public void NoProviders_IsAnError()
    {
        Bind([]).Validate().ShouldContain(e => e.StartsWith("Identity:Providers must list", StringComparison.Ordinal));
    }

    [Fact]
    public void BadSettings_AreEachNamedByPath()
    {
        var errors = Bind(new()
        {
            ["Identity:ClockSkewSeconds"] = "900",
            ["Identity:Providers:0:Name"] = "entra",
            ["Identity:Providers:0:Kind"] = "Entra",
            ["Identity:Providers:0:AllowedTenants:0"] = "contoso.onmicrosoft.com",
            ["Identity:Providers:1:Name"] = "local",
            ["Identity:Providers:1:Kind"] = "Oidc",
            ["Identity:Providers:1:Issuer"] = "http://oidc.internal.example",
            ["Identity:Providers:1:Audiences:0"] = "api://agents",
            ["Identity:Providers:1:RequireHttpsMetadata"] = "false",
            ["Identity:Providers:2:Name"] = "nokind",
            ["Identity:Providers:2:Audiences:0"] = "api://agents",
        }).Validate();

        errors.ShouldContain(e => e.StartsWith("Identity:ClockSkewSeconds", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("Identity:Providers:0:AllowedTenants:0 must be a tenant GUID", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("Identity:Providers:0:Audiences", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("Identity:Providers:1:RequireHttpsMetadata may be false only", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("Identity:Providers:2:Kind is required", StringComparison.Ordinal));
    }

    [Fact]
    public void HttpMetadata_RequiresOptingOutOfHttps()
    {
        var settings = IdentityServices.OidcSettings("http://127.0.0.1:5555");
        settings.Remove("Identity:Providers:0:RequireHttpsMetadata");

        Bind(settings).Validate().ShouldContain(e => e.StartsWith("Identity:Providers:0:RequireHttpsMetadata is true", StringComparison.Ordinal));
    }

    [Fact]
    public void EntraWithBothTenantIdAndAllowlist_IsAnError()
    {
        var errors = Bind(new()
        {
            ["Identity:Providers:0:Name"] = "entra",
            ["Identity:Providers:0:Kind"] = "Entra",
            ["Identity:Providers:0:TenantId"] = "8f9c2b1e-52d4-4a2b-9f1e-3c6d7e8f9a0b",
            ["Identity:Providers:0:AllowedTenants:0"] = "8f9c2b1e-52d4-4a2b-9f1e-3c6d7e8f9a0b",
            ["Identity:Providers:0:Audiences:0"] = "api://agents",
        }).Validate();

        errors.ShouldContain(e => e.Contains("exactly one of TenantId", StringComparison.Ordinal));
    }

    [Fact]
    public void TwoProvidersTrustingOneIssuer_IsAnError()
    {
        var settings = IdentityServices.OidcSettings("http://127.0.0.1:5555");
        settings["Identity:Providers:1:Name"] = "copy";
        settings["Identity:Providers:1:Kind"] = "Oidc";
        settings["Identity:Providers:1:Issuer"] = "http://127.0.0.1:5555";
        settings["Identity:Providers:1:Audiences:0"] = "api://other";
        settings["Identity:Providers:1:RequireHttpsMetadata"] = "false";

        Bind(settings).Validate().ShouldContain(e => e.Contains("which Identity:Providers:0 trusts already", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HostStart_FailsOnBadSettings_NamingThem()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Identity:KeyRefreshMinIntervalSeconds"] = "0" });
        builder.Services.AddSingleton<Agents.Identity.ApiKeys.IApiKeyStore>(new InMemoryApiKeyStore());
        builder.Services.AddAgentsIdentity(builder.Configuration);
        using var host = builder.Build();

        var ex = await Should.ThrowAsync<OptionsValidationException>(() => host.StartAsync());

        ex.Message.ShouldContain("Identity:Providers must list at least one identity provider.");
        ex.Message.ShouldContain("Identity:KeyRefreshMinIntervalSeconds must be between 1 and 3600");
    }
}
