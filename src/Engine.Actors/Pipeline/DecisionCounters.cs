using Engine.Models.Contracts;
using HdrHistogram;

namespace Engine.Actors.Pipeline;

/// <summary>What the decision pipeline emitted, and how long from an event's arrival in Kafka to its decisions being acknowledged.</summary>
public sealed class DecisionCounters
{
    private long _recommendations, _bidDecisions, _bidAdjustments, _churnAlerts, _lateBidsDropped, _listsConflated;

    /// <summary>Event-to-decision latency in microseconds (1 us to 1 h, 3 significant digits).</summary>
    public LongConcurrentHistogram LatencyMicros { get; } = new(1, TimeStamp.Hours(1), 3);

    /// <summary>The same events' latency split by hop (docs/performance.md).</summary>
    public PipelineHops Hops { get; } = new();

    public long Recommendations => Interlocked.Read(ref _recommendations);
    public long BidDecisions => Interlocked.Read(ref _bidDecisions);
    public long BidAdjustments => Interlocked.Read(ref _bidAdjustments);
    public long ChurnAlerts => Interlocked.Read(ref _churnAlerts);
    public long LateBidsDropped => Interlocked.Read(ref _lateBidsDropped);

    /// <summary>Page events whose list a later event of the session, read with them under a backlog, sent instead (<see cref="ListConflation"/>; replays not counted again).</summary>
    public long ListsConflated => Interlocked.Read(ref _listsConflated);

    /// <summary>The latest decision of each kind, for a live view.</summary>
    public IDecision? LatestRecommendation { get; private set; }
    public IDecision? LatestBid { get; private set; }
    public IDecision? LatestAdjustment { get; private set; }
    public IDecision? LatestChurnAlert { get; private set; }

    internal void Count(IDecision decision)
    {
        switch (decision)
        {
            case Recommendation: Interlocked.Increment(ref _recommendations); LatestRecommendation = decision; break;
            case BidDecision: Interlocked.Increment(ref _bidDecisions); LatestBid = decision; break;
            case BidAdjustment: Interlocked.Increment(ref _bidAdjustments); LatestAdjustment = decision; break;
            case ChurnAlert: Interlocked.Increment(ref _churnAlerts); LatestChurnAlert = decision; break;
        }
    }

    internal void LateBids(int n) => Interlocked.Add(ref _lateBidsDropped, n);

    internal void ListConflated() => Interlocked.Increment(ref _listsConflated);
}
