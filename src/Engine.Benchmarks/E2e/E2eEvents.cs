using System.Text;
using Engine.Models.Contracts;
using Engine.Models.Simulation;

namespace Engine.Benchmarks.E2e;

/// <summary>
/// The simulated clickstream of a run, encoded up front (seed 7, unseen by the committed models) so that producing
/// costs the engine's two cores as little as possible; every phase and the baseline read slices of this one store.
/// The encoded values sit back to back in a few large byte arrays, not one array per event: the store shares the
/// engine's process, and ~800k small arrays (~300 MB) would be the largest thing its full collections had to trace.
/// </summary>
internal sealed class E2eEvents
{
    private const int ChunkBytes = 16 << 20;

    private readonly List<byte[]> _chunks = [];
    private readonly List<(byte[] Key, int Chunk, int Offset, int Length)> _records;
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);
    private int _used; // bytes taken in the last chunk

    private E2eEvents(int capacity) => _records = new(capacity);

    public int Count => _records.Count;

    /// <summary>The record's key (shared by the user's events) and a fresh copy of its value, for the producer to send.</summary>
    public (byte[] Key, byte[] Value) this[int index]
    {
        get
        {
            var (key, chunk, offset, length) = _records[index];
            return (key, _chunks[chunk].AsSpan(offset, length).ToArray());
        }
    }

    /// <summary>
    /// The simulated world of a run: the demo's seed (7 in the bench: unseen by the committed models), campaigns and users over 56 days (5,000 users' 28 default days hold
    /// ~775k events, fewer than a run needs once the engine is fast enough that no rate is skipped). Book its campaigns from
    /// these same options: flights scale with the duration.
    /// </summary>
    public static SimulatorOptions World(Engine.Host.Demo.DemoOptions demo) =>
        new() { Seed = demo.Seed, Users = demo.Users, Campaigns = demo.Campaigns, Duration = TimeSpan.FromDays(56) };

    /// <summary>Of the bid requests' candidate campaigns, the share whose booked flight covers the request (a check that the bids are priced).</summary>
    public double CandidatesInFlight { get; private set; }

    public static E2eEvents Simulate(int count, SimulatorOptions world, IReadOnlyList<CampaignSpec> booked)
    {
        var events = new E2eEvents(count);
        var flights = booked.ToDictionary(c => c.CampaignId);
        var (candidates, inFlight) = (0L, 0L);
        foreach (var e in new ClickstreamSimulator(world))
        {
            if (events.Count >= count) break;
            events.Add(e.UserId, ClickEventCodec.Encode(e));
            foreach (var id in e.BidRequest?.CandidateCampaigns ?? [])
            {
                candidates++;
                if (flights.TryGetValue(id, out var c) && e.EventTime >= c.FlightStart && e.EventTime < c.FlightEnd) inFlight++;
            }
        }
        events.CandidatesInFlight = candidates == 0 ? 1 : (double)inFlight / candidates;
        if (events.Count < count)
            throw new InvalidOperationException($"the simulator's world ended after {events.Count:N0} events; the run needs {count:N0}: simulate more users or days");
        return events;
    }

    private void Add(string userId, byte[] value)
    {
        if (!_keys.TryGetValue(userId, out var key)) _keys[userId] = key = Encoding.UTF8.GetBytes(userId);
        if (_chunks.Count == 0 || _used + value.Length > ChunkBytes)
        {
            _chunks.Add(new byte[ChunkBytes]);
            _used = 0;
        }
        value.CopyTo(_chunks[^1], _used);
        _records.Add((key, _chunks.Count - 1, _used, value.Length));
        _used += value.Length;
    }
}
