using Akka.Actor;
using Akka.Event;
using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Models.Decisions;
using Engine.Models.Features;
using static Engine.Actors.Campaigns.CampaignProtocol;

namespace Engine.Actors.Campaigns;

/// <summary>
/// One ad campaign: its live delivery (impressions, clicks, conversions, spend) and its budget pacing. Each event
/// moves the campaign's event-time clock; on every new pacing tick the controller steps, a bid adjustment goes
/// out when the multiplier moved enough, and the node's board gets the new snapshot for bidding.
/// </summary>
public sealed class CampaignActor : ReceiveActor, IWithStash
{
    private readonly string _campaignId;
    private readonly FeatureStore _store;
    private readonly ICampaignCatalog _catalog;
    private readonly CampaignBoard _board;
    private readonly CampaignPacer _pacer;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private CampaignFeatureState _delivery = null!;
    private PacingState _pacing = PacingState.Initial;
    private long _lastTick = -1, _lastEmittedTick = -1;

    public CampaignActor(string campaignId, FeatureStore store, ICampaignCatalog catalog, CampaignBoard board, CampaignPacer pacer)
    {
        (_campaignId, _store, _catalog, _board, _pacer) = (campaignId, store, catalog, board, pacer);
        Receive<CampaignFeatureState>(loaded =>
        {
            _delivery = loaded;
            Become(Ready);
            Stash.UnstashAll();
        });
        Receive<Status.Failure>(failed =>
        {
            _log.Warning(failed.Cause, "Campaign state could not be loaded from Redis; stopping (the next event restarts it)");
            Context.Stop(Self);
        });
        ReceiveAny(_ => Stash.Stash());
    }

    public IStash Stash { get; set; } = null!;

    public static Props Props(string campaignId, FeatureStore store, ICampaignCatalog catalog, CampaignBoard board, CampaignPacer pacer) =>
        Akka.Actor.Props.Create(() => new CampaignActor(campaignId, store, catalog, board, pacer));

    protected override void PreStart() => _store.LoadCampaignAsync(_campaignId).PipeTo(Self);

    private void Ready()
    {
        Receive<RecordCampaignEvent>(msg =>
        {
            var outcome = _delivery.Apply(msg.Event, msg.Position);
            var decisions = new List<Engine.Models.Contracts.IDecision>(1);
            var tick = _pacer.TickOf(msg.Event.EventTime);
            if (_lastTick < 0) _lastTick = _lastEmittedTick = tick; // the first event starts the clock; pacing needs history
            else if (_catalog.TryGet(_campaignId, out var spec) && tick > _lastTick)
            {
                var step = _pacer.Step(spec, _delivery, _pacing, tick, _lastTick, _lastEmittedTick, msg.Event.EventId);
                _pacing = step.State;
                _lastTick = tick;
                if (step.Adjustment is { } adjustment)
                {
                    decisions.Add(adjustment);
                    _lastEmittedTick = tick;
                }
                Publish(spec, tick);
            }
            var changes = _delivery.DrainChanges();
            Sender.Tell(new EntityHandled(EntityKind.Campaign, _campaignId, decisions, changes.IsEmpty ? null : changes, outcome));
        });
    }

    private void Publish(Engine.Models.Contracts.CampaignSpec spec, long tick)
    {
        var nowMs = tick * (long)_pacer.TickInterval.TotalMilliseconds;
        var impressions = _delivery.Hours.Sum(CampaignFeatureState.Impressions, 24, nowMs);
        var clicks = _delivery.Hours.Sum(CampaignFeatureState.Clicks, 24, nowMs);
        var conversions = _delivery.Hours.Sum(CampaignFeatureState.Conversions, 24, nowMs);
        _board.Publish(new CampaignSnapshot(spec, _pacing.Multiplier, impressions, clicks,
            CampaignFeatures.SmoothedCtr(clicks, impressions), CampaignFeatures.SmoothedCvr(conversions, clicks),
            BudgetLeft: nowMs < spec.FlightEnd.ToUnixTimeMilliseconds()));
    }
}
