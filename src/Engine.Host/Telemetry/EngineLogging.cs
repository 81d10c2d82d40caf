using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Engine.Host.Telemetry;

/// <summary>
/// Console logs configured from section <c>Logging</c>: levels, and <c>Logging:Console:FormatterName</c> = <c>simple</c>
/// (default) or <c>json</c> (one JSON object per line, with the message template's named values as fields).
/// </summary>
public static class EngineLogging
{
    public static ILoggingBuilder AddEngineConsole(this ILoggingBuilder logging, IConfiguration configuration)
    {
        var section = configuration.GetSection("Logging");
        // Bound here explicitly: the console provider's own lookup did not see FormatterName from a copied configuration.
        return logging.ClearProviders().AddConfiguration(section).AddConsole(o => section.GetSection("Console").Bind(o));
    }

    /// <summary>
    /// Akka's own level, from <c>Logging:LogLevel:Akka</c> (default Warning: at Information, cluster gossip and sharding
    /// log a line per membership change and shard move). Akka filters before the logger factory does, so both must allow a line.
    /// </summary>
    public static string AkkaLevel(IConfiguration configuration) => configuration["Logging:LogLevel:Akka"]?.Trim().ToLowerInvariant() switch
    {
        "trace" or "debug" => "DEBUG",
        "information" => "INFO",
        "error" or "critical" => "ERROR",
        "none" => "OFF",
        _ => "WARNING",
    };
}
