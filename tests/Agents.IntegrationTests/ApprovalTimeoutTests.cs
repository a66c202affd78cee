namespace Agents.IntegrationTests;

/// <summary>A host whose parked tool calls wait two seconds.</summary>
public sealed class ShortApprovalHost : HostFixture
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Runs__ApprovalTimeoutSeconds"] = "2" };
}

public sealed class ApprovalTimeoutTests(ShortApprovalHost fixture) : IClassFixture<ShortApprovalHost>
{
    [Fact]
    public async Task Approval_NotGivenInTime_TimesOutDurably_AndTheToolDoesNotRun()
    {
        var alice = fixture.Alice;
        var thread = await alice.CreateThreadAsync();
        var run = await alice.StartRunAsync(thread,
            "mail [[sim steps=1 tool=send_email args='{\"to\":\"a@b.c\",\"subject\":\"s\",\"body\":\"b\"}' reply=\"ok\"]]");
        var parked = await alice.WaitRunAsync(thread, run, r => r["status"]!.GetValue<string>() == "requires_action");
        parked["pendingToolCalls"]![0]!["expiresAt"].ShouldNotBeNull();

        var done = await alice.WaitRunAsync(thread, run, timeoutSeconds: 30);
        done["status"]!.GetValue<string>().ShouldBe("completed");
        done["steps"]!.AsArray().Single(s => s!["toolName"]?.GetValue<string>() == "send_email")!["status"]!.GetValue<string>().ShouldBe("timed_out");
        done["pendingToolCalls"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task Cancel_WhileParkedOnApproval_CancelsTheRun()
    {
        var alice = fixture.Alice;
        var thread = await alice.CreateThreadAsync();
        var run = await alice.StartRunAsync(thread,
            "mail [[sim steps=1 tool=send_email args='{\"to\":\"a@b.c\",\"subject\":\"s\",\"body\":\"b\"}']]");
        await alice.WaitRunAsync(thread, run, r => r["status"]!.GetValue<string>() == "requires_action");
        await alice.PostAsync($"/api/v1/threads/{thread}/runs/{run}/cancel");
        var done = await alice.WaitRunAsync(thread, run, timeoutSeconds: 30);
        done["status"]!.GetValue<string>().ShouldBe("cancelled");
    }
}
