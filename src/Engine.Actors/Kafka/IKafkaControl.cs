namespace Engine.Actors.Kafka;

/// <summary>Materialized value of a Kafka source: stops it and shuts its consumer down.</summary>
public interface IKafkaControl
{
    /// <summary>Stops emitting (the source completes); the consumer stays in the group to commit what is in flight.</summary>
    void Stop();

    /// <summary>
    /// Stops, then closes the consumer (it leaves the group) once the offsets of emitted messages are committed or
    /// <see cref="KafkaConsumerSettings.DrainTimeout"/> has passed. Cancelling the source downstream does the same.
    /// </summary>
    Task ShutdownAsync();

    /// <summary>
    /// Graceful stop: stop emitting, wait for the stream to finish (typically the committer sink's task, so every
    /// processed offset is committed), then shut down.
    /// </summary>
    Task DrainAndShutdownAsync(Task streamCompletion);

    /// <summary>
    /// A crash's stop, for failure tests: stops emitting and commits nothing more (queued commits fail); completes once
    /// no commit is under way. The consumer stays in the group, as a dead process's does until its session expires, until
    /// <see cref="ShutdownAsync"/>, which then waits for no commits.
    /// </summary>
    Task HaltAsync();

    /// <summary>Completes when the consumer is closed.</summary>
    Task Shutdown { get; }

    /// <summary>Live counters (for tests, metrics and benchmarks).</summary>
    KafkaConsumerMetrics Metrics { get; }
}
