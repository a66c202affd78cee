using Agents.Identity.ApiKeys;
using Agents.Identity.Tokens;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Shouldly;
using Xunit;

namespace Agents.Identity.Tests;

public sealed class StableIdsAndDocumentsTests
{
    [Fact]
    public void Base32_MatchesRfc4648_Lowercase() => StableIds.Base32("foobar"u8).ShouldBe("mzxw6ytboi");

    [Fact]
    public void OidcUserIds_AreStable_UrlSafe_AndDifferByIssuer()
    {
        var id = StableIds.OidcUser("https://idp.example/realms/a", "user|1/2?#");

        id.ShouldBe(StableIds.OidcUser("https://idp.example/realms/a", "user|1/2?#"));
        id.ShouldMatch("^oidc_[a-z2-7]{32}$");
        id.ShouldNotBe(StableIds.OidcUser("https://idp.example/realms/b", "user|1/2?#"));
    }

    [Fact]
    public void ApiKeyDocument_RoundTripsThroughNewtonsoft_WithCosmosNames()
    {
        var record = new ApiKeyRecord("abcdefghijkl", "oidc_owner", "tenant-1", "Ada", ["Agents.Admin"], "pro",
            "ci", ["Agents.Use"], "00ff", new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero), null);
        var document = ApiKeyDocument.From(record, "apikey:abcdefghijkl", "apikeylookup");

        var json = JObject.Parse(JsonConvert.SerializeObject(document));
        json["id"]!.Value<string>().ShouldBe("abcdefghijkl");
        json["pk"]!.Value<string>().ShouldBe("apikey:abcdefghijkl");
        json["type"]!.Value<string>().ShouldBe("apikeylookup");
        json["_rid"] = "cosmos-adds-system-properties";

        var back = JsonConvert.DeserializeObject<ApiKeyDocument>(json.ToString())!.ToRecord();
        back.OwnerRoles.ShouldBe(["Agents.Admin"]);
        back.Scopes.ShouldBe(["Agents.Use"]);
        back.ShouldBe(record with { OwnerRoles = back.OwnerRoles, Scopes = back.Scopes });
    }
}
