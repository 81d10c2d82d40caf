using Akka.Actor;
using Confluent.Kafka;
using Engine.Actors.Pipeline;
using Engine.Models.Contracts;
using static Engine.Actors.Campaigns.CampaignProtocol;

namespace Engine.Actors.Campaigns;

/// <summary>
/// How a campaign whose events stopped is paced (<see cref="CampaignPaceTicker"/>): once it has had no event for
/// <paramref name="After"/> of the cluster's event-time clock, and none for <paramref name="Settle"/> of the machine's, its
/// pacing steps on that clock, and an adjustment goes out through <paramref name="Send"/> (Kafka's bid-adjustments topic).
/// A campaign silent for longer than <paramref name="MaxSilence"/> is not: its events run on another clock (a replay, a
/// simulation), and they pace it.
/// </summary>
/// <param name="Settle">How long, on the machine's clock, the campaign's actor must have had no event: a fresh one (after a
/// restart or a move) waits this long for a backlog of its events to arrive before it reads their absence as silence.</param>
public sealed record IdlePacing(Func<BidAdjustment, Task> Send, TimeSpan After, TimeSpan MaxSilence, TimeSpan Settle)
{
    public static IdlePacing Default(Func<BidAdjustment, Task> send) =>
        new(send, TimeSpan.FromMinutes(5), TimeSpan.FromDays(1), TimeSpan.FromMinutes(5));

    /// <summary>Adjustments produced to the bid-adjustments topic and counted, as the churn sweeper sends its alerts.</summary>
    public static IdlePacing ToKafka(IProducer<byte[], byte[]> producer, DecisionTopics topics, DecisionCounters counters) =>
        Default(async adjustment =>
        {
            await topics.ProduceAsync(producer, adjustment);
            counters.Count(adjustment);
        });
}

/// <summary>
/// Every <paramref name="interval"/>, tells each booked campaign in its flight this node's event-time clock (<see cref="PaceIdle"/>,
/// through the campaigns' shard region, which starts a passivated one): pacing otherwise moves only on a campaign's own
/// events, so a campaign driven low by an early overspend, winning nothing since, stayed low until its flight ended. Every
/// node ticks with its own clock (one that consumes no clickstream partition has none, and sends nothing); a campaign paces
/// each minute once, so a tick from a node behind, or a second one for the same minute, changes nothing.
/// </summary>
/// <param name="clock">The event-time "now" (null: none yet): the earliest of the node's clickstream partitions' latest
/// durable event times, each capped at its arrival in Kafka, not the machine's clock. Behind a backlog (a restart after an
/// outage) it is as far behind as the campaign events the clickstream forwards, so a campaign is not read as silent while
/// its impressions wait in the backlog (paced on the machine's clock, every campaign read an empty hour and was raised to
/// the top multiplier); and a device clock running ahead does not move it ahead.</param>
public sealed class CampaignPaceTicker : ReceiveActor, IWithTimers
{
    private readonly TimeSpan _interval;

    public CampaignPaceTicker(IActorRef campaigns, ICampaignCatalog catalog, Func<DateTimeOffset?> clock, TimeSpan interval)
    {
        _interval = interval;
        Receive<Tick>(_ =>
        {
            if (clock() is not { } now) return;
            foreach (var spec in catalog.All)
                if (spec.FlightStart <= now && now < spec.FlightEnd) campaigns.Tell(new PaceIdle(spec.CampaignId, now));
        });
    }

    /// <summary>The earliest of the partitions' watermarks (null: the node consumes none yet).</summary>
    public static Func<DateTimeOffset?> EarliestOf(Pipeline.PartitionClock clock) => () =>
    {
        var watermarks = clock.Watermarks.Values.ToList();
        return watermarks.Count == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(watermarks.Min());
    };

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef campaigns, ICampaignCatalog catalog, Func<DateTimeOffset?> clock, TimeSpan interval) =>
        Akka.Actor.Props.Create(() => new CampaignPaceTicker(campaigns, catalog, clock, interval));

    protected override void PreStart() => Timers.StartPeriodicTimer("pace", Tick.Instance, _interval);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }
}
