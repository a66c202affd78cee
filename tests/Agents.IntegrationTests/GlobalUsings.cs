global using Agents.IntegrationTests.Infrastructure;
global using Shouldly;
global using Xunit;
