namespace Agents.Application; internal static class Placeholder { }
