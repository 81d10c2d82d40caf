using Engine.Models.Contracts;

namespace Engine.Models.Simulation;

/// <summary>
/// Streams a simulated shop's clickstream in event-time order, lazily: only the sessions in progress are held, so it can
/// produce millions of events. Users start sessions as a Poisson process (rate set by their engagement) until their
/// churn time; <see cref="SessionScript"/> writes each session. Deterministic for a seed; the truth is in <see cref="World"/>.
/// </summary>
public sealed class ClickstreamSimulator(SimulatorOptions options) : IEnumerable<ClickEvent>
{
    public SimulatedWorld World { get; } = new(options);

    public IEnumerator<ClickEvent> GetEnumerator()
    {
        var random = new Random(options.Seed ^ 0x5eed);
        var spend = new decimal[World.Campaigns.Count];
        var script = new SessionScript(World, random, spend);
        var starts = new PriorityQueue<int, DateTimeOffset>();
        var pending = new PriorityQueue<ClickEvent, (DateTimeOffset, long)>();
        var sessionCounts = new int[World.Users.Count];
        for (var u = 0; u < World.Users.Count; u++) starts.Enqueue(u, World.Users[u].FirstSeen);

        long sequence = 0;
        while (starts.TryDequeue(out var u, out var start))
        {
            // Everything already written that happens before this session starts can go out now.
            while (pending.TryPeek(out var next, out _) && next.EventTime <= start) yield return pending.Dequeue();
            var user = World.Users[u];
            foreach (var e in script.Write(user, sessionCounts[u]++, start)) pending.Enqueue(e, (e.EventTime, sequence++));
            var gapDays = -Math.Log(1 - random.NextDouble()) / (options.SessionsPerUserPerDay * user.Engagement);
            var nextStart = start + TimeSpan.FromDays(gapDays);
            if (nextStart < World.End && (user.ChurnedAt is not { } churn || nextStart < churn)) starts.Enqueue(u, nextStart);
        }
        while (pending.Count > 0) yield return pending.Dequeue();
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
