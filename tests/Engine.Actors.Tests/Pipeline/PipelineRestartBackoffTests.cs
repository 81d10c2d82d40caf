using Engine.Actors.Pipeline;

namespace Engine.Actors.Tests.Pipeline;

public sealed class PipelineRestartBackoffTests
{
    [Fact]
    public async Task A_run_that_fails_at_once_backs_off_more_each_time_however_long_its_consumer_takes_to_close()
    {
        // Each run fails at once (a run that failed after a timer's 50 ms could, on a loaded machine, be late past ResetAfter)
        // and its consumer takes 1 s to close. Before 2026-12-06 the run's length counted the
        // close, so it looked healthy (past ResetAfter) and the backoff started over every time: it never grew.
        var delays = new List<TimeSpan>();
        SupervisedPipeline? pipeline = null;
        var settings = new PipelineRestartSettings(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), RandomFactor: 0,
            ResetAfter: TimeSpan.FromMilliseconds(800));
        pipeline = SupervisedPipeline.Start("flaky", () =>
        {
            lock (delays) if (Volatile.Read(ref pipeline) is { Restarts: > 0 } running) delays.Add(running.LastRestartDelay);
            var run = FakeRun.Failed(closeFails: false, closeTakes: TimeSpan.FromSeconds(1));
            return (run, run.Completion.Task);
        }, settings, Akka.Event.NoLogger.Instance);
        for (var deadline = DateTime.UtcNow.AddSeconds(60); Count() < 4 && DateTime.UtcNow < deadline;) await Task.Delay(20);
        pipeline.Stop();

        List<TimeSpan> seen;
        lock (delays) seen = [.. delays.Take(4)];
        Assert.Equal([100, 200, 400, 800], seen.Select(d => (int)d.TotalMilliseconds));

        int Count()
        {
            lock (delays) return delays.Count;
        }
    }
}
