namespace Engine.Actors.Kafka;

// The control side: called from any thread; it only sets flags and queues commands for the poll thread.
internal sealed partial class ConsumerWorker
{
    public void Stop() => _stopRequested = true;

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

    /// <summary>Commits offsets on the poll thread; completes when committed (or dropped as stale).</summary>
    public Task CommitAsync(IReadOnlyList<CommittableOffset> offsets)
    {
        var command = new ConsumerCommand.Commit(offsets);
        // Under the gate the poll thread closes it with: a commit queued after its last drain would wait for ever.
        lock (_closeGate)
        {
            if (!_closed)
            {
                Enqueue(command);
                return command.Done.Task;
            }
        }
        command.Done.SetException(new InvalidOperationException("Kafka consumer is shut down; offsets not committed"));
        return command.Done.Task;
    }

    private void Enqueue(ConsumerCommand command)
    {
        _commands.Enqueue(command);
        _commandArrived.Set();
    }
}
