using Microsoft.Extensions.FileProviders;

namespace Agents.Host;

/// <summary>
/// Serves the chat app (src/Web's build) and its runtime configuration, so one build runs in every environment.
/// </summary>
internal static class WebApp
{
    public static void MapWebApp(this WebApplication app)
    {
        var section = app.Configuration.GetSection("WebApp");
        app.MapGet("/config.json", (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            return Results.Json(new
        {
            apiBaseUrl = section["ApiBaseUrl"] ?? $"{http.Request.Scheme}://{http.Request.Host}/api",
            auth = new
            {
                authority = section["Authority"],
                clientId = section["ClientId"],
                scopes = section.GetSection("Scopes").Get<string[]>() ?? [],
                redirectPath = "/auth/callback",
            },
        });
        }).ExcludeFromDescription();

        var root = section["Root"];
        if (string.IsNullOrEmpty(root) || !Directory.Exists(Path.GetFullPath(root, app.Environment.ContentRootPath)))
        {
            return; // API only: no build of the app next to this host.
        }
        var files = new PhysicalFileProvider(Path.GetFullPath(root, app.Environment.ContentRootPath));
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        // Client-side routes (e.g. /auth/callback) get the app; /api stays the API's, with its own 404s. Paths that
        // look like files (/assets/index-….js) must not match: routing runs before the static files middleware, which
        // serves nothing once an endpoint has been chosen, so the scripts would be answered with index.html.
        app.MapFallback("{*path:regex(^(?!api/).*$):nonfile}", async http =>
        {
            http.Response.ContentType = "text/html; charset=utf-8";
            await http.Response.SendFileAsync(files.GetFileInfo("index.html"));
        });
    }
}
