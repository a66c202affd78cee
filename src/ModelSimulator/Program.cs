using Agents.ModelSimulator;

// Defaults to http://127.0.0.1:8091; pass --urls to choose another address.
await SimulatorApp.Build(args).RunAsync().ConfigureAwait(false);
