using Agents.Domain.Identity;
using Agents.Identity.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Agents.Identity.Tests;

/// <summary>Entra-shaped providers, with <c>Instance</c> pointing at the local server.</summary>
public sealed class EntraProviderTests : IAsyncLifetime
{
    private const string AllowedTenant = "8f9c2b1e-52d4-4a2b-9f1e-3c6d7e8f9a0b";
    private const string OtherAllowedTenant = "11111111-2222-3333-4444-555555555555";
    private const string ForeignTenant = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    private const string ClientId = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
    private const string ObjectId = "6e2a1f3c-9b8d-4e7f-a1b2-c3d4e5f60718";

    private LocalOidcServer _server = null!;

    public async Task InitializeAsync() => _server = await LocalOidcServer.StartAsync(TestKeys.Primary);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Dictionary<string, string?> MultiTenant() => new()
    {
        ["Identity:Providers:0:Name"] = "entra",
        ["Identity:Providers:0:Kind"] = "Entra",
        ["Identity:Providers:0:Instance"] = _server.EntraInstance,
        ["Identity:Providers:0:AllowedTenants:0"] = AllowedTenant,
        ["Identity:Providers:0:AllowedTenants:1"] = OtherAllowedTenant.ToUpperInvariant(),
        ["Identity:Providers:0:Audiences:0"] = "api://agents",
        ["Identity:Providers:0:Audiences:1"] = ClientId,
        ["Identity:Providers:0:RequiredScope"] = TestTokens.Scope,
        ["Identity:Providers:0:RequireHttpsMetadata"] = "false",
    };

    private static Dictionary<string, object> EntraClaims(string tenant, string objectId = ObjectId) => new()
    {
        ["tid"] = tenant,
        ["oid"] = objectId,
        ["sub"] = "pairwise-subject",
        ["name"] = "Grace Hopper",
        ["scp"] = TestTokens.Scope,
        ["ver"] = "2.0",
    };

    [Fact]
    public async Task AllowedTenant_IsAccepted_WithTenantAndObjectIdAsUserId()
    {
        await using var identity = IdentityServices.Create(MultiTenant());
        var token = TestTokens.Create(_server.EntraIssuer(AllowedTenant), EntraClaims(AllowedTenant), audience: ClientId, type: "JWT");

        var outcome = await identity.Validator.ValidateAsync(token, default);

        outcome.Succeeded.ShouldBeTrue();
        outcome.Caller.UserId.ShouldBe($"{AllowedTenant}_{ObjectId}");
        outcome.Caller.TenantId.ShouldBe(AllowedTenant);
        outcome.Caller.DisplayName.ShouldBe("Grace Hopper");
        outcome.Caller.Kind.ShouldBe(CallerKind.User);
    }

    [Fact]
    public async Task AppIdUriAudience_AndSecondAllowedTenant_AreAccepted()
    {
        await using var identity = IdentityServices.Create(MultiTenant());
        var token = TestTokens.Create(_server.EntraIssuer(OtherAllowedTenant), EntraClaims(OtherAllowedTenant));

        (await identity.Validator.ValidateAsync(token, default)).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public async Task TenantOutsideTheAllowlist_IsRejectedWithoutAnyRequest()
    {
        await using var identity = IdentityServices.Create(MultiTenant());
        var token = TestTokens.Create(_server.EntraIssuer(ForeignTenant), EntraClaims(ForeignTenant));

        var outcome = await identity.Validator.ValidateAsync(token, default);

        outcome.StatusCode.ShouldBe(401);
        outcome.Problem!.Detail.ShouldBe("The token's issuer is not trusted.");
        _server.Requests.ShouldBe(0);
    }

    [Fact]
    public async Task TenantClaimDisagreeingWithIssuer_IsRejected()
    {
        await using var identity = IdentityServices.Create(MultiTenant());
        var token = TestTokens.Create(_server.EntraIssuer(AllowedTenant), EntraClaims(ForeignTenant));

        var outcome = await identity.Validator.ValidateAsync(token, default);

        outcome.StatusCode.ShouldBe(401);
        outcome.Problem!.Detail.ShouldBe("The token's tenant does not match its issuer.");
    }

    [Fact]
    public async Task TokenWithNeitherScopesNorRoles_IsAnAppOnlyTokenWithoutItsRole_403_AsForAnyProvider()
    {
        await using var identity = IdentityServices.Create(MultiTenant());
        var claims = EntraClaims(AllowedTenant);
        claims.Remove("scp");

        var outcome = await identity.Validator.ValidateAsync(TestTokens.Create(_server.EntraIssuer(AllowedTenant), claims), default);

        outcome.StatusCode.ShouldBe(403);
        outcome.Problem!.Code.ShouldBe("insufficient_scope");
        outcome.WwwAuthenticate.ShouldBe(
            $"Bearer error=\"insufficient_scope\", error_description=\"App-only tokens are not accepted from this provider.\", scope=\"{TestTokens.Scope}\"");
    }

    [Fact]
    public async Task MissingObjectId_IsRejected()
    {
        await using var identity = IdentityServices.Create(MultiTenant());
        var claims = EntraClaims(AllowedTenant);
        claims.Remove("oid");

        var outcome = await identity.Validator.ValidateAsync(TestTokens.Create(_server.EntraIssuer(AllowedTenant), claims), default);

        outcome.Problem!.Detail.ShouldBe("The token has no valid oid claim.");
    }

    [Fact]
    public async Task SingleTenant_UsesTheTenantMetadata_AndRejectsOtherTenants()
    {
        var settings = MultiTenant();
        settings.Remove("Identity:Providers:0:AllowedTenants:0");
        settings.Remove("Identity:Providers:0:AllowedTenants:1");
        settings["Identity:Providers:0:TenantId"] = AllowedTenant;
        await using var identity = IdentityServices.Create(settings);

        (await identity.Validator.ValidateAsync(
            TestTokens.Create(_server.EntraIssuer(AllowedTenant), EntraClaims(AllowedTenant)), default)).Succeeded.ShouldBeTrue();
        (await identity.Validator.ValidateAsync(
            TestTokens.Create(_server.EntraIssuer(OtherAllowedTenant), EntraClaims(OtherAllowedTenant)), default)).StatusCode.ShouldBe(401);
    }
}
