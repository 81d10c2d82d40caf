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

    /// <param name="idle">Tells what Redis holds (null: nothing to wait for, as in tests without a stream).</param>
    public static bool MayReload(IdlePassivation? idle, EventPosition? lastAnswered) => idle?.MayStop(lastAnswered) ?? true;

    /// <param name="failedAtMs">When the entity failed, by <see cref="Environment.TickCount64"/>.</param>
    public static bool WaitedTooLong(long failedAtMs) => Environment.TickCount64 - failedAtMs > (long)MaxWait.TotalMilliseconds;

    /// <summary>The entity's look at whether Redis holds its answers yet.</summary>
    public sealed class DurableCheck
    {
        public static readonly DurableCheck Instance = new();

        private DurableCheck() { }
    }
}
