using Confluent.Kafka;

namespace Engine.Actors.Privacy;

/// <summary>
/// The privacy requests a node is carrying out, by partition in offset order. Requests of different users run side by side
/// (an erasure can wait minutes for the user pipeline, and must not hold up everyone else's consent), those of one user
/// one after another in offset order; a partition's offset is committed only past requests that are done, so a crash or a
/// rebalance redoes every request not yet done (at-least-once). Not thread-safe: the control's consumer thread owns it.
/// </summary>
internal sealed class PrivacyRequestWindow
{
    // Per partition, offset -> the request's task, or null once it is done, or GivenUp.
    private readonly Dictionary<TopicPartition, SortedDictionary<long, Task?>> _partitions = [];
    // A request given up (stopping): a barrier no commit passes, so whoever reads the partition next redoes it.
    private static readonly Task GivenUp = Task.FromResult(false);
    private readonly Dictionary<string, Task> _lastOfUser = new(StringComparer.Ordinal);

    /// <summary>Users whose requests are carried out at once; past it the consumer pauses (it keeps polling, so it stays in its group).</summary>
    public const int MaxUsers = 16;

    /// <summary>Requests held at once, those waiting behind the same user's included (a sender that retries one request).</summary>
    public const int MaxHeld = 1_000;

    /// <summary>Requests started and neither done nor forgotten (running, or waiting for the same user's earlier ones).</summary>
    public int InFlight { get; private set; }

    /// <summary>No more requests until some end: <see cref="MaxUsers"/> users' requests run (the requests queued behind one user's run one at a time, and do not count), or <see cref="MaxHeld"/> are held.</summary>
    public bool Full => _lastOfUser.Count >= MaxUsers || InFlight >= MaxHeld;

    /// <summary>Starts <paramref name="carryOut"/> once the user's earlier requests have ended (done or given up).</summary>
    public Task<bool> Start(TopicPartitionOffset position, string user, Func<Task<bool>> carryOut)
    {
        var task = _lastOfUser.TryGetValue(user, out var before)
            ? before.ContinueWith(_ => carryOut(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap()
            : carryOut();
        _lastOfUser[user] = task;
        if (!_partitions.TryGetValue(position.TopicPartition, out var offsets)) _partitions[position.TopicPartition] = offsets = [];
        offsets[position.Offset.Value] = task;
        InFlight++;
        return task;
    }

    /// <summary>The request's task has ended: <paramref name="done"/> (carried out) lets its partition's commit pass it.</summary>
    public void Ended(TopicPartitionOffset position, string user, Task task, bool done)
    {
        if (_lastOfUser.TryGetValue(user, out var last) && last == task) _lastOfUser.Remove(user);
        // Forgotten (its partition was revoked), or the same offset read again since: nothing of it is in the window.
        if (!_partitions.TryGetValue(position.TopicPartition, out var offsets) || !offsets.TryGetValue(position.Offset.Value, out var current)
            || current != task) return;
        InFlight--;
        offsets[position.Offset.Value] = done ? null : GivenUp;
    }

    /// <summary>
    /// For each partition whose earliest requests are done: the offset to commit (one past the last of them). They leave the
    /// window; the caller commits what this returns (and tries again if the commit fails). Never past a request in flight
    /// or given up.
    /// </summary>
    public List<TopicPartitionOffset> TakeCommittable()
    {
        var committable = new List<TopicPartitionOffset>();
        foreach (var (partition, offsets) in _partitions)
        {
            long? next = null;
            while (offsets.Count > 0 && offsets.First() is { Value: null } first)
            {
                next = first.Key + 1;
                offsets.Remove(first.Key);
            }
            if (next is { } offset) committable.Add(new TopicPartitionOffset(partition, offset));
        }
        return committable;
    }

    /// <summary>
    /// Drops the requests of partitions this node no longer owns (revoked or lost): the new owner redoes what is not committed.
    /// Their tasks may still end; they are ignored then.
    /// </summary>
    public void Forget(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            if (!_partitions.Remove(partition, out var offsets)) continue;
            InFlight -= offsets.Values.Count(task => task is not null && task != GivenUp);
        }
    }
}
