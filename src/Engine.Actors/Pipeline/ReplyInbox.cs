using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Actor;

namespace Engine.Actors.Pipeline;

/// <summary>
/// One partition substream's asks to its shard region, through one reply address for all of them: each message goes out
/// with this inbox as its sender, and the entity's <see cref="EntityHandled"/> names the event's position, which finds the
/// ask it answers. An <c>Ask</c> per event would create, register and unregister a temporary actor, a cancellation timer
/// and their continuations every time (~1 KB and a lock-taking timer per event). Registered as a temporary actor once, so
/// a reply from another node finds it as it finds an ask's. An ask unanswered after the timeout fails, as an
/// <c>Ask</c> would; an entity that answers <see cref="EntityNotReady"/>, or anything unexpected, fails every ask in flight
/// (the stream fails and restarts from its last commit either way); one that answers <see cref="EntityFailed"/> has its
/// event dead-lettered.
/// </summary>
internal sealed class ReplyInbox : MinimalActorRef, IDisposable
{
    private readonly IActorRefProvider _provider;
    private readonly ActorPath _path;
    private readonly long _timeoutTicks;
    private readonly TimeSpan _timeout;
    private readonly ConcurrentDictionary<long, Pending> _pending = new();
    private readonly Timer _expiry;
    private readonly DurableOffsets? _durable;

    /// <param name="durable">Told of the events an entity on another node answered (<see cref="DurableOffsets.AwaitBeforeLoading"/>).</param>
    public ReplyInbox(ActorSystem system, TimeSpan timeout, DurableOffsets? durable = null)
    {
        _durable = durable;
        _provider = ((ExtendedActorSystem)system).Provider;
        // The temporary name made unique to this inbox: Akka numbers temporary names from $a in every actor system, and an
        // entity compares its writers by path (WriterHandover), so a node restarted at the same address had its new inbox
        // taken for the old one's, and the entity sent no whole state to it (review, 2026-12-08).
        var temp = _provider.TempPath();
        _path = temp.Parent / $"{temp.Name}-{Guid.NewGuid():N}";
        _provider.RegisterTempActor(this, _path);
        (_timeout, _timeoutTicks) = (timeout, (long)(timeout.TotalSeconds * Stopwatch.Frequency));
        // Checked a few times per timeout: an unanswered ask fails at most a quarter of a timeout late.
        var period = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        _expiry = new Timer(static inbox => ((ReplyInbox)inbox!).Expire(), this, period, period);
    }

    public override ActorPath Path => _path;
    public override IActorRefProvider Provider => _provider;

    /// <summary>Sends <paramref name="message"/> for <paramref name="record"/>; completes with the record and its entity's answer.</summary>
    public Task<Asked> Ask(IActorRef region, object message, DecodedRecord record)
    {
        var reply = new TaskCompletionSource<Asked>(TaskCreationOptions.RunContinuationsAsynchronously);
        // A substream reads its partition in order: one ask per offset (a second could never be told apart from the first).
        if (!_pending.TryAdd(record.Message.Record.Offset, new Pending(reply, record, Stopwatch.GetTimestamp() + _timeoutTicks)))
            reply.TrySetException(new InvalidOperationException($"offset {record.Message.Record.Offset} is already asked about"));
        else region.Tell(message, this);
        return reply.Task;
    }

    protected override void TellInternal(object message, IActorRef sender)
    {
        switch (message)
        {
            case EntityHandled { Position: { } position } handled:
                // Not found: its ask timed out already (an Ask's late reply is dropped as well).
                if (!_pending.TryRemove(position.Offset, out var pending)) break;
                // An entity on another node (a shard not yet moved here after its partition): a new entity here must not load before this flush lands.
                if (sender.Path.Address.HasGlobalScope) _durable?.AwaitBeforeLoading(position.Partition, handled.EntityId, position.Offset);
                pending.Reply.TrySetResult(new Asked(pending.Record, handled, DateTime.UtcNow));
                break;
            case EntityFailed failed:
                if (_pending.TryRemove(failed.Position.Offset, out var refused))
                    refused.Reply.TrySetResult(new Asked(refused.Record, null, DateTime.UtcNow, failed.Reason));
                break;
            // Not the entity's id: this message is logged, and a user id must never be (docs/privacy.md).
            case EntityNotReady notReady:
                FailAll(new InvalidOperationException($"an entity was not ready: {notReady.Reason}"));
                break;
            default:
                FailAll(new InvalidOperationException("unexpected reply " + message.GetType().Name));
                break;
        }
    }

    private void Expire()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var (offset, pending) in _pending)
            if (now > pending.Deadline && _pending.TryRemove(offset, out var expired))
                expired.Reply.TrySetException(new AskTimeoutException($"no reply from the entity within {_timeout} (offset {offset})"));
    }

    private void FailAll(Exception failure)
    {
        foreach (var offset in _pending.Keys)
            if (_pending.TryRemove(offset, out var pending)) pending.Reply.TrySetException(failure);
    }

    /// <summary>Once the substream ended: no longer reachable, and nothing waits on it any more.</summary>
    public void Dispose()
    {
        _expiry.Dispose();
        _provider.UnregisterTempActor(_path);
        foreach (var offset in _pending.Keys)
            if (_pending.TryRemove(offset, out var pending)) pending.Reply.TrySetCanceled();
    }

    private readonly record struct Pending(TaskCompletionSource<Asked> Reply, DecodedRecord Record, long Deadline);
}
