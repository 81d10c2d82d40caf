using Akka.Actor;
using Engine.Models.Features;

namespace Engine.Actors.Sharding;

/// <summary>
/// What an entity does after it threw on a message: its state may be half-applied, so it is reloaded from Redis, but only
/// once Redis holds every change the entity answered before. Stopped at once (before 2026-12-06), the entity's next
/// incarnation could load before those flushes landed, and its next write (absolute values) overwrite them behind
/// offsets already committed: an event lost for good. Until the reload, what arrives waits in the entity's stash; it
/// looks every <see cref="CheckEvery"/> (a <see cref="DurableCheck"/> on timer <see cref="TimerKey"/>).
/// </summary>
public static class EntityRecovery
{
    public const string TimerKey = "reload-once-durable";
    public static readonly TimeSpan CheckEvery = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The longest an entity waits to reload: past it, it stops. Its last answer may have gone to another node's stream (while
    /// a shard moves), which this node's offsets never cover; stopped, it drops what it stashed, those asks time out, and the
    /// stream restarts from its last commit, whose fences let its old flushes end before anything reloads the entity.
    /// </summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    public enum Step { Wait, Reload, Stop }

    /// <summary>Starts the entity's looks (<see cref="DurableCheck"/>); returns when it failed, for <see cref="Next"/>.</summary>
    public static long Begin(ITimerScheduler timers)
    {
        timers.StartPeriodicTimer(TimerKey, DurableCheck.Instance, CheckEvery);
        return Environment.TickCount64;
    }

    /// <summary>On each <see cref="DurableCheck"/>: what to do now (the looks end with a reload or a stop).</summary>
    /// <param name="idle">Tells what Redis holds (null: nothing to wait for, as in tests without a stream).</param>
    public static Step Next(ITimerScheduler timers, IdlePassivation? idle, EventPosition? lastAnswered, long failedAtMs)
    {
        var step = Environment.TickCount64 - failedAtMs > (long)MaxWait.TotalMilliseconds ? Step.Stop
            : idle?.MayStop(lastAnswered) ?? true ? Step.Reload : Step.Wait;
        if (step != Step.Wait) timers.Cancel(TimerKey);
        return step;
    }

    /// <summary>The entity's look at whether Redis holds its answers yet.</summary>
    public sealed class DurableCheck
    {
        public static readonly DurableCheck Instance = new();

        private DurableCheck() { }
    }
}
