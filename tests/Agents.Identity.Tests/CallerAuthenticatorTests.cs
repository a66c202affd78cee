using Agents.Domain.Identity;
using Agents.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Shouldly;
using Xunit;

namespace Agents.Identity.Tests;

/// <summary>Which header carries what, and the status and <c>WWW-Authenticate</c> value of each failure.</summary>
public sealed class CallerAuthenticatorTests : IAsyncLifetime
{
    private static readonly Caller Owner = new("oidc_owner", "tenant-1", "Ada", CallerKind.User, [], ["Agents.Use"]);

    private LocalOidcServer _server = null!;
    private IdentityServices _identity = null!;

    public async Task InitializeAsync()
    {
        _server = await LocalOidcServer.StartAsync(TestKeys.Primary);
        _identity = IdentityServices.Create(IdentityServices.OidcSettings(_server.Issuer));
    }

    public async Task DisposeAsync()
    {
        await _identity.DisposeAsync();
        await _server.DisposeAsync();
    }

    private Task<AuthenticationOutcome> Authenticate(params (string Name, string Value)[] headers)
    {
        var context = _identity.NewContext();
        foreach (var (name, value) in headers)
        {
            context.Request.Headers.Append(name, value);
        }

        return _identity.Authenticator.AuthenticateAsync(context.Request, default);
    }

    [Fact]
    public async Task NoCredentials_Is401WithABareBearerChallenge()
    {
        var outcome = await Authenticate();

        outcome.StatusCode.ShouldBe(401);
        outcome.Problem!.Code.ShouldBe("unauthenticated");
        outcome.WwwAuthenticate.ShouldBe("Bearer");
    }

    [Fact]
    public async Task AnotherScheme_CountsAsNoCredentials()
    {
        var outcome = await Authenticate(("Authorization", "Basic dXNlcjpwYXNz"));

        outcome.Problem!.Code.ShouldBe("unauthenticated");
        outcome.WwwAuthenticate.ShouldBe("Bearer");
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("bearer")]
    [InlineData("BEARER")]
    public async Task BearerToken_IsValidated_SchemeCaseInsensitive(string scheme)
    {
        var outcome = await Authenticate(("Authorization", $"{scheme} {TestTokens.Create(_server.Issuer, TestTokens.UserClaims())}"));

        outcome.Succeeded.ShouldBeTrue();
        outcome.Caller.Kind.ShouldBe(CallerKind.User);
    }

    [Fact]
    public async Task AUsersAcceptedToken_StoresTheirProfile_ForTheirKeysToActWith()
    {
        var outcome = await Authenticate(("Authorization", "Bearer " + TestTokens.Create(_server.Issuer, TestTokens.UserClaims())));

        var profile = await _identity.Store.FindOwnerAsync(outcome.Caller!.UserId, default);
        profile.ShouldNotBeNull();
        profile.Roles.ShouldBe(outcome.Caller.Roles);
        profile.IssuedAt.ShouldBe(outcome.Caller.IssuedAt!.Value);
    }

    [Fact]
    public async Task ApiKeyAsBearer_TakesTheApiKeyPath()
    {
        var created = await _identity.ApiKeys.CreateAsync(Owner, "cli", ["read"], null, default);

        var outcome = await Authenticate(("Authorization", "Bearer " + created.Key));

        outcome.Succeeded.ShouldBeTrue();
        outcome.Caller.Kind.ShouldBe(CallerKind.ApiKey);
        outcome.Caller.ApiKeyId.ShouldBe(created.Info.KeyId);
        _server.Requests.ShouldBe(0);
    }

    [Fact]
    public async Task ApiKeyHeader_TakesTheApiKeyPath()
    {
        var created = await _identity.ApiKeys.CreateAsync(Owner, "cli", ["read"], null, default);

        var outcome = await Authenticate(("api-key", created.Key));

        outcome.Succeeded.ShouldBeTrue();
        outcome.Caller.UserId.ShouldBe(Owner.UserId);
    }

    [Fact]
    public async Task InvalidToken_Is401WithErrorAndDescription()
    {
        var expired = TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), expires: DateTime.UtcNow.AddMinutes(-5));

        var outcome = await Authenticate(("Authorization", "Bearer " + expired));

        outcome.StatusCode.ShouldBe(401);
        outcome.WwwAuthenticate.ShouldBe("Bearer error=\"invalid_token\", error_description=\"The token has expired.\"");
    }

    [Fact]
    public async Task InvalidApiKey_Is401InvalidToken()
    {
        var outcome = await Authenticate(("api-key", "agk_aaaaaaaaaaaa_" + new string('A', 43)));

        outcome.StatusCode.ShouldBe(401);
        outcome.WwwAuthenticate.ShouldBe("Bearer error=\"invalid_token\", error_description=\"The API key is invalid.\"");
    }

    [Fact]
    public async Task ValidTokenWithoutTheScope_Is403InsufficientScope()
    {
        var token = TestTokens.Create(_server.Issuer, TestTokens.UserClaims(scp: "Agents.Read"));

        var outcome = await Authenticate(("Authorization", "Bearer " + token));

        outcome.StatusCode.ShouldBe(403);
        outcome.Problem!.Code.ShouldBe("insufficient_scope");
        outcome.Problem.Extensions!["scope"].ShouldBe("Agents.Use");
        outcome.WwwAuthenticate!.ShouldStartWith("Bearer error=\"insufficient_scope\"");
        outcome.WwwAuthenticate.ShouldEndWith("scope=\"Agents.Use\"");
    }

    [Fact]
    public async Task BothHeaders_Is400InvalidRequest()
    {
        var outcome = await Authenticate(
            ("Authorization", "Bearer " + TestTokens.Create(_server.Issuer, TestTokens.UserClaims())),
            ("api-key", "agk_aaaaaaaaaaaa_" + new string('A', 43)));

        outcome.StatusCode.ShouldBe(400);
        outcome.WwwAuthenticate!.ShouldStartWith("Bearer error=\"invalid_request\"");
    }

    [Fact]
    public async Task EmptyBearer_CountsAsNoCredentials()
    {
        (await Authenticate(("Authorization", "Bearer "))).Problem!.Code.ShouldBe("unauthenticated");
    }
}
