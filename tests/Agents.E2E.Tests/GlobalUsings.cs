global using Agents.IntegrationTests.Infrastructure;
global using Microsoft.Playwright;
global using Shouldly;
global using Xunit;
global using Xunit.Abstractions;
