namespace Engine.Actors.Kafka;

// The control side: called from any thread; it only sets flags and queues commands for the poll thread and the commit lane.
internal sealed partial class ConsumerWorker
{
    public void Stop() => _stopRequested = true;

    public Task HaltAsync()
    {
        _halted = true; // read by the commit lane before each commit: from now on none reaches Kafka
        Stop();
        var halt = new ConsumerCommand.Halt();
        lock (_closeGate)
        {
            _closed = true;
            if (!_pollThreadStarted) return Task.CompletedTask;
            if (_pollThreadEnded) return _commitLaneEnded.Task; // a commit under way when it ended may still reach Kafka until then
            Enqueue(halt);
        }
        return halt.Passed.Task;
    }

    /// <summary>
    /// The stream cancelled the source: the consumer closes (it leaves the group), unless it was halted, whose close is
    /// left to <see cref="ShutdownAsync"/> as a dead process's membership is left to its session timeout (the halted
    /// stream fails at its next refused commit, and a close then handed its partitions over at once).
    /// </summary>
    public void StreamCancelled()
    {
        if (!_halted) _ = ShutdownAsync();
    }

    public Task ShutdownAsync()
    {
        Stop();
        Enqueue(new ConsumerCommand.Close());
        return _shutdown.Task;
    }

    public async Task DrainAndShutdownAsync(Task streamCompletion)
    {
        Stop();
        try
        {
            await streamCompletion.ConfigureAwait(false);
        }
        finally
        {
            await ShutdownAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A partition's sub-source was cancelled downstream: unless the partition was revoked or the consumer is stopping
    /// meanwhile, the source fails (the poll thread throws). Before, the partition stayed assigned, its queue filled, it was
    /// paused, and it was never read or handed back: a silent stall.
    /// </summary>
    public void Abandoned(PartitionLease lease) => Enqueue(new ConsumerCommand.Abandon(lease, DateTime.UtcNow + AbandonGrace));

    /// <summary>
    /// How long a cancelled partition source may wait for its explanation: when the whole stream ends or fails, its
    /// partitions' sources are cancelled too, a moment before the main source asks the consumer to stop.
    /// </summary>
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(2);

    /// <summary>Commits offsets on the commit lane; completes when committed (or dropped as stale).</summary>
    public Task CommitAsync(IReadOnlyList<CommittableOffset> offsets)
    {
        var command = new ConsumerCommand.Commit(offsets);
        // Under the gate the poll thread closes it with: a commit queued after its last drain would wait for ever.
        lock (_closeGate)
        {
            if (!_closed)
            {
                _commits.Enqueue(command);
                _commitArrived.Set();
                return command.Done.Task;
            }
        }
        command.Done.SetException(new InvalidOperationException("Kafka consumer is shut down; offsets not committed"));
        return command.Done.Task;
    }

    private void Enqueue(ConsumerCommand command) => _commands.Enqueue(command);
}
