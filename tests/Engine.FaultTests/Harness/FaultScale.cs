using System.Globalization;

namespace Engine.FaultTests.Harness;

/// <summary>
/// How many events the fault tests stream. The defaults are the figures; an environment variable lowers them
/// on a machine too slow for the time bound, and every test prints the figure it used, so a smaller run is never silent.
/// </summary>
public static class FaultScale
{
    /// <summary>The SIGKILL test: at least 200,000 events (issue 7).</summary>
    public static int KillEvents => Read("ENGINE_FAULT_KILL_EVENTS", 200_000);

    /// <summary>The valid stream of the other fault tests (broker down, Redis restart, poison events, model reload).</summary>
    public static int StreamEvents => Read("ENGINE_FAULT_STREAM_EVENTS", 20_000);

    private static int Read(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;
}
