namespace Agents.E2E.Tests.Infrastructure;

/// <summary>A test that only runs with AGENTS_SCREENSHOTS=1: it rewrites the documentation's screenshots.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ScreenshotFactAttribute : FactAttribute
{
    public ScreenshotFactAttribute()
    {
        if (!E2EEnvironment.Screenshots)
        {
            Skip = "Writes docs/screenshots/*.png; runs only with AGENTS_SCREENSHOTS=1.";
        }
    }
}
