namespace Engine.FaultTests.Harness;

/// <summary>Waiting with a bound: every wait of a fault test fails, saying what it waited for, instead of hanging.</summary>
public static class Bounded
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> waitingFor, Task? failsEarly = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (failsEarly is { IsCompleted: true }) await failsEarly; // surfaces the producer's or engine's failure
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"after {timeout.TotalSeconds:N0} s still waiting for {waitingFor()}");
            await Task.Delay(100);
        }
    }
}
