using System.Text;
using Engine.Models.Contracts;
using Engine.Models.Simulation;

namespace Engine.Benchmarks.E2e;

/// <summary>
/// The simulated clickstream of a run, encoded up front (seed 7, unseen by the committed models) so that producing
/// costs the engine's two cores as little as possible; every phase and the baseline read slices of this one list.
/// </summary>
internal sealed class E2eEvents
{
    private readonly List<(byte[] Key, byte[] Value)> _records;

    private E2eEvents(List<(byte[] Key, byte[] Value)> records) => _records = records;

    public int Count => _records.Count;
    public (byte[] Key, byte[] Value) this[int index] => _records[index];

    public static E2eEvents Simulate(int count, int users)
    {
        var records = new List<(byte[], byte[])>(count);
        // 56 days: 5,000 users' 28 default days hold ~775k events, fewer than a run needs once the engine is fast enough
        // that no rate is skipped.
        foreach (var e in new ClickstreamSimulator(new SimulatorOptions { Seed = 7, Users = users, Duration = TimeSpan.FromDays(56) }))
        {
            if (records.Count >= count) break;
            records.Add((Encoding.UTF8.GetBytes(e.UserId), ClickEventCodec.Encode(e)));
        }
        if (records.Count < count)
            throw new InvalidOperationException($"the simulator's world ended after {records.Count:N0} events; the run needs {count:N0}: simulate more users or days");
        return new E2eEvents(records);
    }
}
