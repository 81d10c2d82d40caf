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
        if (_shutdown.Task.IsCompleted)
            command.Done.SetException(new InvalidOperationException("Kafka consumer is shut down; offsets not committed"));
        else
            Enqueue(command);
        return command.Done.Task;
    }

    private void Enqueue(ConsumerCommand command)
    {
        _commands.Enqueue(command);
        _commandArrived.Set();
    }
}
