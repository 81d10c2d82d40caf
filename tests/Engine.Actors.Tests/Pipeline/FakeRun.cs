using Akka;
using Engine.Actors.Kafka;

namespace Engine.Actors.Tests.Pipeline;

/// <summary>A supervised pipeline's run without a broker: its completion and its consumer's close are the test's to decide.</summary>
internal sealed class FakeRun : IKafkaControl
{
    private readonly bool _closeFails;
    private readonly TimeSpan _closeTakes;

    private FakeRun(bool closeFails, TimeSpan closeTakes) => (_closeFails, _closeTakes) = (closeFails, closeTakes);

    public TaskCompletionSource<Done> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A run failed from its start, whose consumer's close fails or takes <paramref name="closeTakes"/>.</summary>
    public static FakeRun Failed(bool closeFails, TimeSpan closeTakes = default)
    {
        var run = new FakeRun(closeFails, closeTakes);
        run.Completion.SetException(new InvalidOperationException("injected: the stream failed"));
        return run;
    }

    public static FakeRun Running() => new(closeFails: false, TimeSpan.Zero);

    public void Stop() => Completion.TrySetResult(Done.Instance);

    public async Task ShutdownAsync()
    {
        Stop();
        if (_closeTakes > TimeSpan.Zero) await Task.Delay(_closeTakes);
        if (_closeFails) throw new InvalidOperationException("injected: the consumer's poll thread died");
    }

    public Task DrainAndShutdownAsync(Task streamCompletion) => ShutdownAsync();

    public Task HaltAsync()
    {
        Completion.TrySetException(new InvalidOperationException("injected: halted"));
        return Task.CompletedTask;
    }

    public Task Shutdown => Task.CompletedTask;

    public KafkaConsumerMetrics Metrics { get; } = new();
}
