using Akka;
using Akka.Event;
using Engine.Actors.Kafka;

namespace Engine.Actors.Pipeline;

/// <summary>How a failed pipeline comes back: after <see cref="MinBackoff"/>, doubling up to <see cref="MaxBackoff"/>, with jitter.</summary>
/// <param name="ResetAfter">A run that lasted this long starts the backoff over (default 2 minutes: longer than an ask's timeout,
/// 30 s, so a run that fails on one every time backs off instead of restarting, and reloading every entity, every 30 s).</param>
public sealed record PipelineRestartSettings(TimeSpan MinBackoff, TimeSpan MaxBackoff, double RandomFactor = 0.2, TimeSpan? ResetAfter = null)
{
    public static PipelineRestartSettings Default { get; } = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10));

    public TimeSpan EffectiveResetAfter => ResetAfter ?? TimeSpan.FromMinutes(2);
}

/// <summary>
/// Keeps a decision pipeline alive, as Akka's <c>RestartSource.OnFailuresWithBackoff</c> keeps a committable
/// source: when the pipeline fails (an ask timed out, an entity could not load its state, Redis stayed away past
/// the retries), its consumer is closed, leaving the group, and after a backoff a new one starts from the group's
/// last committed offsets. Nothing is lost, since an offset is committed only after all its event caused was
/// acknowledged, and the replay is harmless: features skip offsets they hold, decisions keep their ids. Only a
/// graceful stop ends it. Controls (stop, drain) go to whichever run is current.
/// </summary>
public sealed class SupervisedPipeline : IKafkaControl
{
    private readonly Func<(IKafkaControl Control, Task<Done> Completion)> _start;
    private readonly PipelineRestartSettings _settings;
    private readonly ILoggingAdapter _log;
    private readonly string _name;
    private readonly Func<Task>? _beforeRestart;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private (IKafkaControl Control, Task<Done> Completion)? _current;
    private int _restarts;

    private SupervisedPipeline(string name, Func<(IKafkaControl, Task<Done>)> start, PipelineRestartSettings settings, ILoggingAdapter log,
        Func<Task>? beforeRestart)
    {
        (_name, _start, _settings, _log, _beforeRestart) = (name, start, settings, log, beforeRestart);
        Completion = Task.Run(SuperviseAsync);
    }

    /// <summary>
    /// Starts the first run. <paramref name="start"/> materializes a fresh pipeline (a new consumer in the same group)
    /// each time; <paramref name="beforeRestart"/> runs once the failed run is closed, before the next starts
    /// (e.g. restart the entities from Redis, see <see cref="Sharding.EntityShards.StopAllAsync"/>).
    /// </summary>
    public static SupervisedPipeline Start(string name, Func<(IKafkaControl, Task<Done>)> start, PipelineRestartSettings settings, ILoggingAdapter log,
        Func<Task>? beforeRestart = null) =>
        new(name, start, settings, log, beforeRestart);

    /// <summary>Completes once stopped; pipeline failures do not complete it, they restart the pipeline.</summary>
    public Task<Done> Completion { get; }

    public int Restarts => Volatile.Read(ref _restarts);

    /// <summary>The backoff waited before the latest restart (zero before the first).</summary>
    public TimeSpan LastRestartDelay => TimeSpan.FromTicks(Volatile.Read(ref _lastRestartDelayTicks));
    private long _lastRestartDelayTicks;

    /// <summary>When the pipeline last stopped and was restarted (UTC; <see cref="DateTime.MinValue"/>: never).</summary>
    public DateTime LastRestartUtc => new(Volatile.Read(ref _lastRestartTicks), DateTimeKind.Utc);
    private long _lastRestartTicks = DateTime.MinValue.Ticks;

    /// <summary>The current run's consumer counters (a restart starts them again).</summary>
    public KafkaConsumerMetrics Metrics => Current?.Control.Metrics ?? new KafkaConsumerMetrics();

    public Task Shutdown => Completion;

    private (IKafkaControl Control, Task<Done> Completion)? Current
    {
        get
        {
            lock (_gate) return _current;
        }
    }

    private async Task<Done> SuperviseAsync()
    {
        var backoff = _settings.MinBackoff;
        while (true)
        {
            (IKafkaControl Control, Task<Done> Completion) run;
            lock (_gate)
            {
                if (_stopping.IsCancellationRequested) return Done.Instance;
                try
                {
                    _current = run = _start();
                }
                catch (Akka.Pattern.IllegalStateException e)
                {
                    // The materializer is shut down: the actor system is going away (e.g. SIGTERM ran CoordinatedShutdown).
                    _log.Warning(e, "Pipeline {0} not restarted: the actor system is shutting down", _name);
                    return Done.Instance;
                }
            }
            var startedAt = DateTime.UtcNow;
            Exception? failure = null;
            try
            {
                await run.Completion.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                failure = e;
            }
            // How long the run went, not counting its consumer's close (up to 15 s, which reset the backoff of runs that failed at once).
            var ranFor = DateTime.UtcNow - startedAt;
            if (_stopping.IsCancellationRequested) return Done.Instance;
            // Failed, or completed without being asked to: close this consumer (it leaves the group) before the next joins.
            await CloseAsync(run.Control).ConfigureAwait(false);
            if (ranFor > _settings.EffectiveResetAfter) backoff = _settings.MinBackoff;
            var delay = backoff * (1 + Random.Shared.NextDouble() * _settings.RandomFactor);
            Interlocked.Increment(ref _restarts);
            Volatile.Write(ref _lastRestartDelayTicks, delay.Ticks);
            Volatile.Write(ref _lastRestartTicks, DateTime.UtcNow.Ticks);
            _log.Warning(failure, "Pipeline {0} stopped ({1}); restarting from the last committed offsets in {2} ms",
                _name, failure?.GetBaseException().Message ?? "completed", (long)delay.TotalMilliseconds);
            var waited = Task.Delay(delay, _stopping.Token);
            await BeforeRestartAsync().ConfigureAwait(false);
            try
            {
                await waited.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return Done.Instance;
            }
            backoff = TimeSpan.FromTicks(Math.Min(_settings.MaxBackoff.Ticks, backoff.Ticks * 2));
        }
    }

    /// <summary>
    /// Closes a failed run's consumer. A close that fails (its poll thread died, which also ended the run) or hangs (a
    /// broker away) is logged and the restart goes on: supervising stops only when asked to, and nothing was committed
    /// past what is durable. A consumer that never left the group is dropped by it after its session timeout.
    /// </summary>
    private async Task CloseAsync(IKafkaControl control)
    {
        try
        {
            await control.ShutdownAsync().WaitAsync(CloseTimeout).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.Warning(e, "Pipeline {0}: its consumer did not close cleanly ({1}); restarting anyway", _name, e.GetBaseException().Message);
        }
    }

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(15);

    private async Task BeforeRestartAsync()
    {
        if (_beforeRestart is null) return;
        try
        {
            await _beforeRestart().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.Warning(e, "Pipeline {0}: preparing the restart failed; restarting anyway", _name);
        }
    }

    /// <summary>
    /// Stops supervising without touching the current run: for a crash-like stop (failure tests), where the run dies
    /// with its actor system and is not restarted; <see cref="CloseConsumerAsync"/> then closes its consumer.
    /// </summary>
    public void Abandon()
    {
        lock (_gate) _stopping.Cancel();
    }

    /// <summary>
    /// A crash's stop (failure tests): stops supervising and halts the current run's consumer, so nothing more is
    /// committed while the run dies with its actor system; <see cref="CloseConsumerAsync"/> later closes the consumer.
    /// </summary>
    public Task HaltAsync()
    {
        lock (_gate)
        {
            _stopping.Cancel();
            return _current?.Control.HaltAsync() ?? Task.CompletedTask;
        }
    }

    /// <summary>Closes the current run's consumer (it leaves the group) without waiting for its stream.</summary>
    public Task CloseConsumerAsync() => Current?.Control.ShutdownAsync() ?? Task.CompletedTask;

    public void Stop()
    {
        lock (_gate)
        {
            _stopping.Cancel();
            _current?.Control.Stop();
        }
    }

    public async Task ShutdownAsync()
    {
        Stop();
        if (Current is { } run) await run.Control.ShutdownAsync().ConfigureAwait(false);
        await Completion.ConfigureAwait(false);
    }

    /// <summary>Graceful stop of the current run: stop reading, finish and commit what is in flight, close the consumer.</summary>
    public async Task DrainAndShutdownAsync(Task streamCompletion)
    {
        Stop();
        if (Current is { } run)
        {
            try
            {
                await run.Control.DrainAndShutdownAsync(run.Completion).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _log.Warning(e, "Pipeline {0} failed while draining; its uncommitted tail is replayed on the next start", _name);
            }
        }
        await Completion.ConfigureAwait(false);
    }
}
