using System.Security.Cryptography;
using System.Text;
using Agents.Domain.Identity;
using Agents.Identity.Tests.Infrastructure;
using Shouldly;
using Xunit;

namespace Agents.Identity.Tests;

/// <summary>Token validation (JwtBearer and our policies, through CallerAuthenticator) against a real local OIDC server (discovery + JWKS over HTTP).</summary>
public sealed class AccessTokenValidationTests : IAsyncLifetime
{
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

    private Task<AuthenticationOutcome> Validate(string token) => _identity.Validator.ValidateAsync(token, CancellationToken.None);

    private static void ShouldBeInvalidToken(AuthenticationOutcome outcome, string description)
    {
        outcome.Succeeded.ShouldBeFalse();
        outcome.StatusCode.ShouldBe(401);
        outcome.Problem!.Code.ShouldBe("invalid_token");
        outcome.Problem.Detail.ShouldBe(description);
        outcome.WwwAuthenticate.ShouldBe($"Bearer error=\"invalid_token\", error_description=\"{description}\"");
    }

    [Fact]
    public async Task GoodUserToken_MapsEveryCallerField()
    {
        var claims = TestTokens.UserClaims(scp: "Agents.Use Agents.Read");
        claims["roles"] = new[] { Caller.AdminRole, "Agents.Auditor" };
        claims["tier"] = "pro";

        var outcome = await Validate(TestTokens.Create(_server.Issuer, claims));

        outcome.Succeeded.ShouldBeTrue();
        var caller = outcome.Caller;
        caller.UserId.ShouldStartWith("oidc_");
        caller.UserId.Length.ShouldBe(37);
        caller.UserId.ShouldMatch("^oidc_[a-z2-7]{32}$");
        caller.TenantId.ShouldMatch("^iss_[a-z2-7]{32}$");
        caller.DisplayName.ShouldBe("Ada Lovelace");
        caller.Kind.ShouldBe(CallerKind.User);
        caller.Scopes.ShouldBe(["Agents.Use", "Agents.Read"]);
        caller.Roles.ShouldBe([Caller.AdminRole, "Agents.Auditor"]);
        caller.IsAdmin.ShouldBeTrue();
        caller.Tier.ShouldBe("pro");
        caller.ApiKeyId.ShouldBeNull();
        outcome.WwwAuthenticate.ShouldBeNull();
    }

    [Fact]
    public async Task SameSubject_IsTheSameUserEveryTime_AndTenantClaimIsUsedWhenPresent()
    {
        var claims = TestTokens.UserClaims("user-7");
        claims["tid"] = "tenant-7";
        var first = await Validate(TestTokens.Create(_server.Issuer, claims));
        var second = await Validate(TestTokens.Create(_server.Issuer, TestTokens.UserClaims("user-7")));

        first.Caller!.UserId.ShouldBe(second.Caller!.UserId);
        first.Caller.TenantId.ShouldBe("tenant-7");
    }

    [Theory]
    [InlineData("at+jwt")]
    [InlineData("JWT")]
    public async Task TokenTypes_AtJwtAndJwt_AreAccepted(string type)
    {
        var outcome = await Validate(TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), type: type));

        outcome.Succeeded.ShouldBeTrue();
    }

    [Fact]
    public async Task OtherTokenType_IsRejected()
    {
        var outcome = await Validate(TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), type: "dpop+jwt"));

        ShouldBeInvalidToken(outcome, "The token type (typ) is not accepted.");
    }

    [Fact]
    public async Task DisplayName_FallsBackToPreferredUsernameThenSubject()
    {
        var claims = TestTokens.UserClaims();
        claims.Remove("name");
        (await Validate(TestTokens.Create(_server.Issuer, claims))).Caller!.DisplayName.ShouldBe("ada@example.test");

        claims.Remove("preferred_username");
        (await Validate(TestTokens.Create(_server.Issuer, claims))).Caller!.DisplayName.ShouldBe("user-1");
    }

    [Fact]
    public async Task RolesAsSingleString_AreRead()
    {
        var claims = TestTokens.UserClaims();
        claims["roles"] = Caller.AdminRole;

        (await Validate(TestTokens.Create(_server.Issuer, claims))).Caller!.Roles.ShouldBe([Caller.AdminRole]);
    }

    [Fact]
    public async Task ExpiredBeyondSkew_IsRejected()
    {
        var token = TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), expires: DateTime.UtcNow.AddSeconds(-60));

        ShouldBeInvalidToken(await Validate(token), "The token has expired.");
    }

    [Fact]
    public async Task JustExpiredWithinSkew_IsAccepted()
    {
        var token = TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), expires: DateTime.UtcNow.AddSeconds(-10));

        (await Validate(token)).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public async Task NotYetValidBeyondSkew_IsRejected()
    {
        var now = DateTime.UtcNow;
        var token = TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), notBefore: now.AddMinutes(5), expires: now.AddMinutes(65));

        ShouldBeInvalidToken(await Validate(token), "The token is not valid yet.");
    }

    [Fact]
    public async Task NotBeforeWithinSkew_IsAccepted()
    {
        var now = DateTime.UtcNow;
        var token = TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), notBefore: now.AddSeconds(10), expires: now.AddMinutes(60));

        (await Validate(token)).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public async Task TokenWithoutExpiry_IsRejected()
    {
        var token = TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), withExpiry: false);
        TestTokens.DecodePayload(token).ShouldNotContain("\"exp\"");

        ShouldBeInvalidToken(await Validate(token), "The token has no expiry.");
    }

    [Fact]
    public async Task WrongAudience_IsRejected()
    {
        var token = TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), audience: "api://someone-else");

        ShouldBeInvalidToken(await Validate(token), "The token is not meant for this API (audience).");
    }

    [Fact]
    public async Task UnknownIssuer_IsRejectedWithoutAnyRequest()
    {
        var token = TestTokens.Create("https://evil.example.test", TestTokens.UserClaims());

        ShouldBeInvalidToken(await Validate(token), "The token's issuer is not trusted.");
        _server.Requests.ShouldBe(0);
    }

    [Fact]
    public async Task IssuerDifferingOnlyByTrailingSlash_IsUnknown()
    {
        var token = TestTokens.Create(_server.Issuer + "/", TestTokens.UserClaims());

        ShouldBeInvalidToken(await Validate(token), "The token's issuer is not trusted.");
        _server.Requests.ShouldBe(0);
    }

    [Fact]
    public async Task SecondIssuerSharingTheKeys_IsNotTrustedUnlessConfigured()
    {
        var token = TestTokens.Create(_server.OtherIssuer, TestTokens.UserClaims());

        ShouldBeInvalidToken(await Validate(token), "The token's issuer is not trusted.");
        _server.Requests.ShouldBe(0);
    }

    [Fact]
    public async Task TwoProvidersSharingKeys_KeepTheirAudiencesAndUsersApart()
    {
        var settings = IdentityServices.OidcSettings(_server.Issuer);
        settings["Identity:Providers:1:Name"] = "other";
        settings["Identity:Providers:1:Kind"] = "Oidc";
        settings["Identity:Providers:1:Issuer"] = _server.OtherIssuer;
        settings["Identity:Providers:1:Audiences:0"] = "api://other";
        settings["Identity:Providers:1:RequireHttpsMetadata"] = "false";
        await using var identity = IdentityServices.Create(settings);

        var forFirstAudience = TestTokens.Create(_server.OtherIssuer, TestTokens.UserClaims("same-sub"));
        ShouldBeInvalidToken(await identity.Validator.ValidateAsync(forFirstAudience, default), "The token is not meant for this API (audience).");

        var atOther = await identity.Validator.ValidateAsync(TestTokens.Create(_server.OtherIssuer, TestTokens.UserClaims("same-sub"), audience: "api://other"), default);
        var atFirst = await identity.Validator.ValidateAsync(TestTokens.Create(_server.Issuer, TestTokens.UserClaims("same-sub")), default);
        atOther.Succeeded.ShouldBeTrue();
        atFirst.Succeeded.ShouldBeTrue();
        atOther.Caller!.UserId.ShouldNotBe(atFirst.Caller!.UserId);
        atOther.Caller.TenantId.ShouldNotBe(atFirst.Caller.TenantId);
    }

    [Fact]
    public async Task TamperedPayload_IsRejected()
    {
        var token = TestTokens.Create(_server.Issuer, TestTokens.UserClaims("user-1"));
        var forged = TestTokens.WithPayload(token, TestTokens.Payload(_server.Issuer, TestTokens.UserClaims("admin-user")));

        ShouldBeInvalidToken(await Validate(forged), "The token's signature is invalid.");
    }

    [Fact]
    public async Task TamperedSignature_IsRejected()
    {
        var token = TestTokens.Create(_server.Issuer, TestTokens.UserClaims());
        var signatureStart = token.LastIndexOf('.') + 1;
        var flipped = token[signatureStart] == 'A' ? 'B' : 'A';
        var forged = string.Concat(token.AsSpan(0, signatureStart), flipped.ToString(), token.AsSpan(signatureStart + 1));

        ShouldBeInvalidToken(await Validate(forged), "The token's signature is invalid.");
    }

    [Fact]
    public async Task SignedByAnotherKeyWithAPublishedKid_IsRejected()
    {
        var impostor = new Microsoft.IdentityModel.Tokens.RsaSecurityKey(TestKeys.Unpublished.Rsa) { KeyId = TestKeys.Primary.KeyId };

        ShouldBeInvalidToken(await Validate(TestTokens.Create(_server.Issuer, TestTokens.UserClaims(), key: impostor)), "The token's signature is invalid.");
    }

    [Fact]
    public async Task AlgNone_IsRejected()
    {
        var token = TestTokens.Craft(
            new { alg = "none", typ = "JWT" },
            TestTokens.Payload(_server.Issuer, TestTokens.UserClaims()),
            sign: null);

        ShouldBeInvalidToken(await Validate(token), "The token's signature is invalid.");
    }

    [Fact]
    public async Task ValidSignatureWithAnotherRsaAlgorithm_IsRejected()
    {
        var payload = TestTokens.Payload(_server.Issuer, TestTokens.UserClaims());
        var token = TestTokens.Craft(
            new { alg = "RS512", typ = "JWT", kid = TestKeys.Primary.KeyId },
            payload,
            data => TestKeys.Primary.Rsa.SignData(data, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1));

        // IdentityModel checks ValidAlgorithms while matching the key, so this surfaces as a signature failure.
        ShouldBeInvalidToken(await Validate(token), "The token's signature is invalid.");
        _server.JwksRequests.ShouldBe(1);
    }

    [Theory]
    [InlineData("pem")]
    [InlineData("der")]
    public async Task Hs256SignedWithThePublicKey_IsRejected(string encoding)
    {
        var publicKey = encoding == "pem"
            ? Encoding.ASCII.GetBytes(TestKeys.Primary.Rsa.ExportSubjectPublicKeyInfoPem())
            : TestKeys.Primary.Rsa.ExportSubjectPublicKeyInfo();
        var token = TestTokens.Craft(
            new { alg = "HS256", typ = "JWT", kid = TestKeys.Primary.KeyId },
            TestTokens.Payload(_server.Issuer, TestTokens.UserClaims()),
            data => HMACSHA256.HashData(publicKey, data));

        ShouldBeInvalidToken(await Validate(token), "The token's signature is invalid.");
        _server.JwksRequests.ShouldBe(1); // a known kid: no refresh either
    }

    [Fact]
    public async Task NonStringIssuer_IsRejectedWithoutAnyRequest()
    {
        var payload = TestTokens.Payload(_server.Issuer, TestTokens.UserClaims());
        payload["iss"] = 42;
        var token = TestTokens.Craft(new { alg = "RS256", typ = "JWT", kid = TestKeys.Primary.KeyId }, payload, data => data);

        (await Validate(token)).StatusCode.ShouldBe(401);
        _server.Requests.ShouldBe(0);
    }

    [Fact]
    public async Task ProviderTenantClaim_IsKeptWhenUrlSafe_AndHashedOtherwise()
    {
        var claims = TestTokens.UserClaims();
        claims["tid"] = "org/with slashes";

        var caller = (await Validate(TestTokens.Create(_server.Issuer, claims))).Caller!;

        caller.TenantId.ShouldMatch("^tid_[a-z2-7]{32}$");
    }

    [Fact]
    public async Task MalformedToken_IsRejected()
    {
        ShouldBeInvalidToken(await Validate("not-a-jwt"), "The token is not a well-formed JWT.");
        _server.Requests.ShouldBe(0);
    }

    [Fact]
    public async Task MissingScope_Is403InsufficientScope()
    {
        var outcome = await Validate(TestTokens.Create(_server.Issuer, TestTokens.UserClaims(scp: "Agents.Read")));

        outcome.StatusCode.ShouldBe(403);
        outcome.Problem!.Code.ShouldBe("insufficient_scope");
        outcome.WwwAuthenticate.ShouldBe(
            "Bearer error=\"insufficient_scope\", error_description=\"The token lacks the scope 'Agents.Use'.\", scope=\"Agents.Use\"");
    }

    [Fact]
    public async Task AppOnlyTokenWithRequiredRole_IsAcceptedAsApplication()
    {
        var claims = new Dictionary<string, object> { ["sub"] = "service-1", ["roles"] = new[] { TestTokens.AppRole } };

        var outcome = await Validate(TestTokens.Create(_server.Issuer, claims));

        outcome.Succeeded.ShouldBeTrue();
        outcome.Caller.Kind.ShouldBe(CallerKind.Application);
        outcome.Caller.Roles.ShouldBe([TestTokens.AppRole]);
        outcome.Caller.Scopes.ShouldBeEmpty();
        outcome.Caller.DisplayName.ShouldBe("service-1");
    }

    [Fact]
    public async Task AppOnlyTokenWithoutRequiredRole_Is403()
    {
        var claims = new Dictionary<string, object> { ["sub"] = "service-1", ["roles"] = new[] { "Something.Else" } };

        var outcome = await Validate(TestTokens.Create(_server.Issuer, claims));

        outcome.StatusCode.ShouldBe(403);
        outcome.Problem!.Code.ShouldBe("insufficient_scope");
        outcome.WwwAuthenticate!.ShouldContain("scope=\"Agents.Invoke\"");
    }

    [Fact]
    public async Task AppOnlyToken_IsRefusedByAProviderWithoutRequiredAppRole()
    {
        var settings = IdentityServices.OidcSettings(_server.Issuer);
        settings.Remove("Identity:Providers:0:RequiredAppRole");
        await using var identity = IdentityServices.Create(settings);
        var claims = new Dictionary<string, object> { ["sub"] = "service-1", ["roles"] = new[] { TestTokens.AppRole } };

        var outcome = await identity.Validator.ValidateAsync(TestTokens.Create(_server.Issuer, claims), default);

        outcome.StatusCode.ShouldBe(403);
        outcome.Problem!.Detail.ShouldBe("App-only tokens are not accepted from this provider.");
    }

    [Fact]
    public async Task UnreachableMetadata_Is503NotAnInvalidToken()
    {
        var settings = IdentityServices.OidcSettings(_server.BrokenIssuer);
        await using var identity = IdentityServices.Create(settings);

        var outcome = await identity.Validator.ValidateAsync(TestTokens.Create(_server.BrokenIssuer, TestTokens.UserClaims()), default);

        outcome.StatusCode.ShouldBe(503);
        outcome.Problem!.Code.ShouldBe("identity_provider_unavailable");
        outcome.WwwAuthenticate.ShouldBeNull();
    }

    [Fact]
    public async Task Keys_AreFetchedOnceAndCached()
    {
        for (var i = 0; i < 5; i++)
        {
            (await Validate(TestTokens.Create(_server.Issuer, TestTokens.UserClaims()))).Succeeded.ShouldBeTrue();
        }

        _server.JwksRequests.ShouldBe(1);
    }
}
