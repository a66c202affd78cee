var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/api/health/live", () => Results.Ok());
await app.RunAsync();
