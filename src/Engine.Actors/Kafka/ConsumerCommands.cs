namespace Engine.Actors.Kafka;

/// <summary>Work for the poll thread (and commits, for the commit lane), queued from any thread.</summary>
internal abstract record ConsumerCommand
{
    /// <summary>Commit these offsets (each +1) through the consumer that read them.</summary>
    internal sealed record Commit(IReadOnlyList<CommittableOffset> Offsets) : ConsumerCommand
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Attempts { get; set; }
        public DateTime RetryAfter { get; set; }
    }

    /// <summary>Close the consumer (leave the group) once the commands queued before this one have run.</summary>
    internal sealed record Close : ConsumerCommand;

    /// <summary>Marks where the consumer stood when it was halted: the commit under way then has ended, and none follows.</summary>
    internal sealed record Halt : ConsumerCommand
    {
        public TaskCompletionSource Passed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A partition's sub-source was cancelled while the consumer still owned it: fail the source (see <see cref="ConsumerWorker.Abandoned"/>).</summary>
    internal sealed record Abandon(PartitionLease Lease, DateTime JudgedAt) : ConsumerCommand;
}
