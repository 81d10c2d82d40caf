using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Engine.Benchmarks.E2e;

/// <summary>
/// Sleeps a dedicated thread until a <see cref="Stopwatch"/> timestamp with ~0.1 ms precision: Linux's
/// <c>clock_nanosleep</c> on the monotonic clock Stopwatch reads. .NET's own timers wake a millisecond or more late (and
/// <c>Task.Delay</c> then waits for a pool thread): as the bench stamps events with their scheduled arrival, that
/// lateness would count as the engine's latency. Elsewhere, <c>Thread.Sleep</c>.
/// </summary>
internal static class PreciseSleep
{
    private const int ClockMonotonic = 1;
    private const int AbsoluteTime = 1;
    private static bool _native = OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000;

    public static void Until(long stopwatchTimestamp)
    {
        if (_native)
        {
            try
            {
                var due = new Timespec(stopwatchTimestamp / 1_000_000_000, stopwatchTimestamp % 1_000_000_000);
                // EINTR (a signal) returns early: the caller's next due is still ahead, and it just sleeps again.
                ClockNanosleep(ClockMonotonic, AbsoluteTime, due, IntPtr.Zero);
                return;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                _native = false;
            }
        }
        var ahead = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), stopwatchTimestamp);
        if (ahead > TimeSpan.Zero) Thread.Sleep(ahead);
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Timespec(long Seconds, long Nanoseconds);

    [DllImport("libc.so.6", EntryPoint = "clock_nanosleep")]
    private static extern int ClockNanosleep(int clock, int flags, in Timespec request, IntPtr remaining);
}
