namespace Engine.Actors.Sharding;

/// <summary>
/// How a shard stops its entities when it moves to another node (a rebalance, a graceful stop). An entity still loading
/// its state stashes it behind the events it holds, and stops once it has answered them; with a <c>PoisonPill</c> (before
/// 2026-12-06) it stopped at once and dropped them, and the asking partition waited for its ask timeout and restarted the
/// whole stream, which moved shards again (review). Sharding's hand-off timeout still bounds the wait. Entities passivate
/// with it too (idle, erased), for the same reason: a <c>PoisonPill</c> never reaches a behaviour, so a stashing one cannot
/// hold it back.
/// </summary>
public sealed class HandOffStop
{
    public static HandOffStop Instance { get; } = new();

    private HandOffStop() { }
}
