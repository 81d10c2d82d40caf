using System.Collections.Concurrent;
using Akka.Event;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using Engine.Host.Node;
using Engine.Host.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Engine.Host.Tests.Cluster;

/// <summary>
/// Akka's own lines (a pipeline's failure, downing, shutdown) are what the runbook tells the on-call engineer to search
/// for: `run` sends them through the host's logger factory, so they follow its format (JSON) and levels. Before
/// 2026-12-06 they went to Akka's plain-text stdout logger whatever the Logging section said.
/// </summary>
[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class ClusterLoggingTests
{
    [Fact]
    public async Task Akka_lines_go_through_the_hosts_logger_factory()
    {
        var lines = new ConcurrentQueue<(string Category, LogLevel Level, string Message)>();
        using var logs = LoggerFactory.Create(b => b.AddProvider(new Capturing(lines)).SetMinimumLevel(LogLevel.Trace));
        var system = await EngineCluster.StartAsync(new ClusterSettings(Logs: logs), CancellationToken.None);
        try
        {
            system.Log.Warning("pipeline probe {0}", 42);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!lines.Any(l => l.Message.Contains("pipeline probe 42")) && DateTime.UtcNow < deadline) await Task.Delay(20);
            var line = Assert.Single(lines, l => l.Message.Contains("pipeline probe 42"));
            Assert.Equal(LogLevel.Warning, line.Level);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Theory]
    [InlineData(null, "WARNING")]
    [InlineData("Information", "INFO")]
    [InlineData("Debug", "DEBUG")]
    [InlineData("Error", "ERROR")]
    [InlineData("None", "OFF")]
    public void Akkas_level_follows_the_logging_section(string? configured, string akka)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Akka"] = configured }).Build();
        Assert.Equal(akka, EngineLogging.AkkaLevel(configuration));
    }

    private sealed class Capturing(ConcurrentQueue<(string, LogLevel, string)> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);
        public void Dispose() { }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}
