using Akka;
using Akka.Event;
using Engine.Actors.Kafka;

namespace Engine.Host.Node;

/// <summary>
/// Keeps one decision pipeline running. A pipeline fails as a whole when an ask times out, a user's state cannot be
/// loaded or Redis answers too late; it is then closed (its consumer leaves the group) and started again from the
/// last committed offsets after a backoff (1 s doubling to 30 s). The replay is harmless: features skip offsets they
/// already applied, and decisions repeat with the same ids. <see cref="Completion"/> ends only with a graceful stop.
/// </summary>
internal sealed class SupervisedPipeline
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(30);
    private readonly Func<(IKafkaControl Control, Task<Done> Completion)> _start;
    private readonly ILoggingAdapter _log;
    private readonly string _name;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private Running _current;
    private bool _stopping;
    private int _restarts;

    public SupervisedPipeline(string name, Func<(IKafkaControl, Task<Done>)> start, ILoggingAdapter log)
    {
        (_name, _start, _log) = (name, start, log);
        _current = Start();
        _ = SuperviseAsync();
    }

    public IKafkaControl Control => Volatile.Read(ref _current).Control;
    public int Restarts => Volatile.Read(ref _restarts);
    public Task Completion => _completion.Task;

    /// <summary>Graceful stop: no more restarts; the running pipeline drains, commits and leaves the group.</summary>
    public async Task DrainAndShutdownAsync()
    {
        Running current;
        lock (_gate)
        {
            _stopping = true;
            current = _current;
        }
        try
        {
            await current.Control.DrainAndShutdownAsync(current.Completion);
        }
        catch (Exception) when (current.Completion.IsFaulted)
        {
            // It failed before the stop: the supervisor has logged why and closed it.
        }
        await _completion.Task;
    }

    private bool Stopping
    {
        get { lock (_gate) return _stopping; }
    }

    private Running Start()
    {
        var (control, completion) = _start();
        return new Running(control, completion);
    }

    private async Task SuperviseAsync()
    {
        var backoff = FirstBackoff;
        while (true)
        {
            var current = _current;
            try
            {
                await current.Completion;
                if (Stopping) break;
                _log.Warning("Pipeline {0} completed without being stopped; starting it again", _name);
            }
            catch (Exception e) when (!Stopping)
            {
                _log.Error(e, "Pipeline {0} failed; restarting from the last committed offsets in {1}", _name, backoff);
                await current.Control.ShutdownAsync();
            }
            catch (Exception e)
            {
                _completion.TrySetException(e);
                return;
            }
            await Task.Delay(backoff);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            lock (_gate)
            {
                if (_stopping) break;
                Interlocked.Increment(ref _restarts);
                Volatile.Write(ref _current, Start());
            }
        }
        _completion.TrySetResult();
    }

    private sealed record Running(IKafkaControl Control, Task<Done> Completion);
}
