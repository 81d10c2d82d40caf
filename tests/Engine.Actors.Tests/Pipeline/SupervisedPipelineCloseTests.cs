using Akka;
using Akka.Event;
using Engine.Actors.Pipeline;

namespace Engine.Actors.Tests.Pipeline;

/// <summary>What the supervisor does when a failed run's consumer cannot even be closed (no broker needed: the control's failure is injected).</summary>
public sealed class SupervisedPipelineCloseTests
{
    [Fact]
    public async Task A_failed_run_whose_consumer_fails_to_close_is_restarted_all_the_same()
    {
        var runs = new List<FakeRun>();
        var pipeline = SupervisedPipeline.Start("test", () =>
        {
            // The first run fails, and so does closing its consumer (as when its poll thread died); the second keeps running.
            var run = runs.Count == 0 ? FakeRun.Failed(closeFails: true) : FakeRun.Running();
            lock (runs) runs.Add(run);
            return (run, run.Completion.Task);
        }, new PipelineRestartSettings(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50)), NoLogger.Instance);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (runs.Count < 2 && !pipeline.Completion.IsCompleted && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.False(pipeline.Completion.IsCompleted, "supervising ended: " + pipeline.Completion.Exception?.GetBaseException().Message);
        Assert.Equal(2, runs.Count);
        Assert.Equal(1, pipeline.Restarts);

        await pipeline.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(pipeline.Completion.IsCompletedSuccessfully);
    }
}
