using Microsoft.Extensions.Configuration;

namespace Engine.Host.Configuration;

/// <summary>
/// Where settings come from, later sources winning: appsettings.json beside the binaries, an optional file given with
/// <c>--config</c>, environment variables (<c>Kafka__BootstrapServers=broker:9092</c>), then command-line flags.
/// </summary>
public static class EngineConfiguration
{
    public static IConfigurationRoot Build(FileInfo? file, IReadOnlyDictionary<string, string?> flags)
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        if (file is not null)
        {
            if (!file.Exists) throw new ConfigurationError([$"--config: {file.FullName} does not exist; expected a JSON file shaped like appsettings.json."]);
            builder.AddJsonFile(file.FullName, optional: false, reloadOnChange: false);
        }
        try
        {
            return builder.AddEnvironmentVariables().AddInMemoryCollection(flags.Where(f => f.Value is not null)).Build();
        }
        catch (InvalidDataException e) // a settings file that is not JSON: its message names the file and the line
        {
            throw new ConfigurationError([$"{(file is null ? "appsettings.json" : "--config")}: {e.Message}{(e.InnerException is { } inner ? " " + inner.Message : "")}"]);
        }
    }
}
