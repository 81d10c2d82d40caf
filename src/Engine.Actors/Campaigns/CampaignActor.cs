using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;
using static Engine.Actors.Campaigns.CampaignProtocol;

namespace Engine.Actors.Campaigns;

/// <summary>
/// One ad campaign: its live delivery (impressions, clicks, conversions, spend) and its budget pacing. Each event
/// moves the campaign's event-time clock; on every new pacing tick the controller steps, a bid adjustment goes
/// out when the multiplier moved enough, and the node's board gets the new snapshot for bidding. Once the flight's
/// spend reaches the budget, the multiplier drops to 0 and the board says no budget is left: no more bids.
/// </summary>
public sealed class CampaignActor : ReceiveActor, IWithStash, IWithTimers
{
    private readonly string _campaignId;
    private readonly FeatureStore _store;
    private readonly ICampaignCatalog _catalog;
    private readonly CampaignBoard _board;
    private readonly CampaignPacer _pacer;
    private readonly IdlePassivation? _idle;
    private readonly IdlePacing? _idlePacing;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private CampaignFeatureState _delivery = null!;
    // The controller's state and the clock's last and last-emitted ticks, kept with the delivery in Redis.
    private PacingMemory _pacing = PacingMemory.Initial;
    // The budget this actor last sent the exhaustion at (null: none since it loaded or the campaign bid again).
    private decimal? _exhaustedAt;
    // An exhaustion said on the node's clock that Kafka has not taken: sent again at each idle tick until it is (no event comes to).
    private BidAdjustment? _idleExhaustionUnsent;
    private EventPosition? _lastAnswered;
    private WriterHandover _writer;
    private long _lastActiveMs = Environment.TickCount64;
    private long _lastEventWallMs = Environment.TickCount64; // the machine's clock at the last event (or the start): see PaceWhileIdle
    private bool _ready; // loaded: a failure from here on reloads the state rather than stopping the actor
    private long _failedAtMs;

    /// <param name="idle">When to passivate once idle; null: never on its own.</param>
    /// <param name="idlePacing">How to pace once its events stopped (<see cref="PaceIdle"/>); null: only on events.</param>
    public CampaignActor(string campaignId, FeatureStore store, ICampaignCatalog catalog, CampaignBoard board, CampaignPacer pacer, IdlePassivation? idle = null,
        IdlePacing? idlePacing = null)
    {
        (_campaignId, _store, _catalog, _board, _pacer, _idle, _idlePacing) = (campaignId, store, catalog, board, pacer, idle, idlePacing);
        Loading();
    }

    private async Task<CampaignFeatureState> LoadAsync()
    {
        if (_idle is not null) await _idle.LoadWhenCaughtUpAsync(_campaignId);
        return await _store.LoadCampaignAsync(_campaignId);
    }

    private void Loading()
    {
        Receive<CampaignFeatureState>(loaded =>
        {
            _delivery = loaded;
            _pacing = PacingMemory.Parse(loaded.Pacing, loaded.PacingClock);
            _ready = true;
            Become(Ready);
            Stash.UnstashAll();
        });
        Receive<Status.Failure>(failed =>
        {
            _log.Warning(failed.Cause, "Campaign state could not be loaded from Redis; replying NotReady and stopping (the next event starts it again)");
            LoadFailure.AnswerWaitingNotReady(Stash, _campaignId, failed.Cause);
            Context.Stop(Self);
        });
        // Nothing answered since it started loading (no writer): a stream's restart stops it.
        Receive<StopEntity>(TakeStop);
        ReceiveAny(_ => Stash.Stash());
    }

    /// <summary>After a failure: everything waits until Redis holds what was answered, then the state is reloaded (<see cref="EntityRecovery"/>).</summary>
    private void Recovering()
    {
        Receive<EntityRecovery.DurableCheck>(_ =>
        {
            switch (EntityRecovery.Next(Timers, _idle, _lastAnswered, _failedAtMs))
            {
                case EntityRecovery.Step.Wait: return;
                case EntityRecovery.Step.Stop: Context.Stop(Self); return;
            }
            (_exhaustedAt, _writer) = (null, default); // afresh, as a new incarnation would start
            LoadAsync().PipeTo(Self);
            Become(Loading);
        });
        // Its writer is kept until the reload: one on another node keeps it too (its answers wait there, not here).
        Receive<StopEntity>(TakeStop);
        ReceiveAny(_ => Stash.Stash());
    }

    public IStash Stash { get; set; } = null!;

    /// <summary>A stream's restart on this node: stops unless the writer it last answered runs on another node (<see cref="EntityShards.StopAllAsync"/>).</summary>
    private void TakeStop(StopEntity stop) => EntityStop.Take(stop, _writer.AnsweringElsewhere, Context);

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string campaignId, FeatureStore store, ICampaignCatalog catalog, CampaignBoard board, CampaignPacer pacer,
        IdlePassivation? idle = null, IdlePacing? idlePacing = null) =>
        Akka.Actor.Props.Create(() => new CampaignActor(campaignId, store, catalog, board, pacer, idle, idlePacing));

    /// <summary>
    /// An event the actor throws on is answered <see cref="EntityFailed"/> (the stream dead-letters it and goes on), and the
    /// state, which it may have left half-applied, is reloaded once Redis holds everything answered before
    /// (<see cref="EntityRecovery"/>); a failure before the state is ready stops the actor. Left to Akka's restart, the ask
    /// would go unanswered and the stream replay the same event for ever.
    /// </summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception e)
        {
            _log.Error(e, "Campaign actor {0} failed on {1}; {2}", Self.Path.Name, message.GetType().Name,
                _ready ? "reloading its state once its answers are durable" : "stopping it");
            if (message is RecordCampaignEvent failed) Sender.Tell(EntityFailed.Of("campaign", failed.Position, e));
            if (!_ready)
            {
                Context.Stop(Self);
                return true;
            }
            (_ready, _failedAtMs) = (false, EntityRecovery.Begin(Timers));
            Become(Recovering);
            return true;
        }
    }

    protected override void PreStart()
    {
        _idle?.Watch(Timers);
        LoadAsync().PipeTo(Self);
    }

    protected override void PostStop() => _idle?.Stopped(_campaignId, _lastAnswered);

    private void Ready()
    {
        // The shard moves: stashed while loading, so what the actor holds is answered first (HandOffStop).
        Receive<HandOffStop>(_ => Context.Stop(Self));
        Receive<StopEntity>(TakeStop);
        Receive<RecordCampaignEvent>(msg =>
        {
            _writer.Answering(Sender, _delivery);
            _idleExhaustionUnsent = null; // an event's pacing says it again if still true (its _exhaustedAt was cleared)
            var outcome = _delivery.Apply(msg.Event, msg.Position, msg.Origin);
            var decisions = new List<IDecision>(1);
            var before = _pacing;
            if (_catalog.TryGet(_campaignId, out var spec)) Pace(spec, msg.Event, decisions); // not booked (yet): delivery only
            if (outcome == ApplyOutcome.Duplicate) RepeatAdjustmentCausedBy(msg.Event.EventId, decisions);
            // Written by the same flush as the delivery (a string only when the clock ticked or the controller moved).
            if (_pacing != before)
            {
                _delivery.SetPacing(_pacing.Format());
                _delivery.SetPacingClock(_pacing.ClockStartTick);
            }
            Sender.Tell(new EntityHandled(EntityKind.Campaign, _campaignId, decisions, _store.Changes.Drain(_delivery), outcome, Position: msg.Position));
            (_lastAnswered, _lastActiveMs, _lastEventWallMs) = (msg.Position, Environment.TickCount64, Environment.TickCount64);
        });
        Receive<PaceIdle>(PaceWhileIdle);
        Receive<IdleStepEnded>(ended =>
        {
            if (ended.Adjustment is { BudgetExhausted: true } exhaustion)
            {
                if (ended.What == "sent" && _pacing is { LastTick: < 0, ExhaustedTick: >= 0 }) (_idleExhaustionUnsent, _exhaustedAt) = (exhaustion, null); // still exhausted
                else if (_idleExhaustionUnsent?.DecisionId == exhaustion.DecisionId) _idleExhaustionUnsent = null;
            }
            if (ended.Error is not null)
                _log.Warning("Campaign {0}: a pace step without events was not {1} ({2}); {3}", _campaignId, ended.What, ended.Error.Message,
                    ended.What != "sent" ? "the next event's flush writes it"
                    : ended.Adjustment is { BudgetExhausted: true } ? "sent again at the next tick or event"
                    : "the exchange keeps the previous multiplier until the next adjustment");
            else if (ended.What is not null)
                _log.Info("Campaign {0}: a pace step without events was not written (Redis holds a later or stopped clock, or another writer's state); the next event's flush writes it", _campaignId);
        });
        Receive<IdleCheck>(_ => _idle?.Check(Context, Timers, _lastActiveMs, _lastAnswered));
    }

    /// <summary>
    /// A campaign whose events stopped (it bids too low to win, or the exchange sends it nothing) steps its pacing on the
    /// cluster's event-time clock: nothing else moves it, and before 2026-12-07 an early overspend held the multiplier down
    /// until the flight ended. Only a clock that runs (in the flight, not exhausted, started by an event), once no event has
    /// come for <see cref="IdlePacing.After"/> of that clock and for <see cref="IdlePacing.Settle"/> of the machine's (a
    /// fresh actor, after a restart or a move, waits for the backlog of its events to arrive). The step is written to Redis
    /// at once (no event's flush carries it; only over an earlier running clock) and its adjustment sent to Kafka, caused by
    /// <c>pace:&lt;minute, Unix ms&gt;</c>. A campaign paused or cut below its spend meanwhile is exhausted the same way, once;
    /// an exhausted one whose budget was raised above its spend starts its clock again and says so (<see cref="StartClock"/>).
    /// </summary>
    private void PaceWhileIdle(PaceIdle tick)
    {
        if (_idlePacing is not { } idle || !_catalog.TryGet(_campaignId, out var spec)) return;
        var asOfMs = tick.AsOf.ToUnixTimeMilliseconds();
        if (_idleExhaustionUnsent is { } unsent)
        {
            // Unless the budget was raised meanwhile (its clock then starts again at its next event).
            if (CampaignDelivery.Of(_delivery, asOfMs).Exhausts(spec)) Send(idle, unsent with { DecidedAt = DateTimeOffset.UtcNow }); // same id: kept once
            else _idleExhaustionUnsent = null;
            return;
        }
        if (tick.AsOf < spec.FlightStart || tick.AsOf >= spec.FlightEnd) return;
        var delivery = CampaignDelivery.Of(_delivery, asOfMs);
        var decisions = new List<IDecision>(1);
        long paceTick;
        if (_pacing is { LastTick: < 0, ExhaustedTick: >= 0 })
        {
            // Exhausted, and its budget raised above the spend since: it bids again, and the exchange hears so now, silent or
            // not (no event may ever come: an exchange that stopped bidding for it shows it no impression).
            if (delivery.Exhausts(spec)) return;
            paceTick = Math.Max(_pacer.TickOf(tick.AsOf), _pacing.LastEmittedTick);
            StartClock(spec, delivery, paceTick, PacedBy(paceTick), decisions);
        }
        else if (!IdleStep(idle, tick, asOfMs, spec, delivery, decisions, out paceTick)) return;
        var memory = _pacing.Format();
        _delivery.SetPacing(memory); // and the next event's flush writes it again, whatever this write's fate
        _lastActiveMs = Environment.TickCount64; // paced: kept, rather than passivated and loaded again for the next minute
        _store.SaveCampaignPacingAsync(_campaignId, memory, paceTick, _delivery.LastEventMs).PipeTo(Self,
            success: written => new IdleStepEnded(written ? null : "saved", null), failure: e => new IdleStepEnded("saved", e));
        foreach (var adjustment in decisions.OfType<BidAdjustment>()) Send(idle, adjustment);
    }

    private string PacedBy(long paceTick) =>
        "pace:" + (paceTick * (long)_pacer.TickInterval.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A pace step of a running clock on the node's clock, once the campaign has been silent long enough (false: none due).</summary>
    private bool IdleStep(IdlePacing idle, PaceIdle tick, long asOfMs, CampaignSpec spec, CampaignDelivery delivery, List<IDecision> decisions, out long paceTick)
    {
        paceTick = _pacer.TickOf(tick.AsOf);
        if (_pacing.LastTick < 0) return false;
        var silentMs = asOfMs - _delivery.LastEventMs;
        if (silentMs < idle.After.TotalMilliseconds || silentMs > idle.MaxSilence.TotalMilliseconds
            || Environment.TickCount64 - _lastEventWallMs < idle.Settle.TotalMilliseconds) return false;
        if (paceTick <= _pacing.LastTick) return false;
        var causedBy = PacedBy(paceTick);
        if (delivery.Exhausts(spec))
        {
            // Paused (budget 0) or cut below its spend while it wins nothing: no event would ever say so, and before
            // 2026-12-07 the exchange kept its last multiplier, budget left, for good (a review). Said once: the clock stops.
            Emit(_pacer.Exhaust(spec, delivery, _pacing.State, causedBy, paceTick), paceTick, decisions);
            (_exhaustedAt, _pacing) = (spec.Budget, _pacing with { LastTick = -1, ExhaustedTick = paceTick });
            _board.Publish(delivery.Snapshot(spec, 0, DateTimeOffset.UtcNow));
        }
        else StepTo(spec, paceTick, causedBy, decisions);
        return true;
    }

    private void Send(IdlePacing idle, BidAdjustment adjustment) =>
        idle.Send(adjustment).PipeTo(Self, success: () => new IdleStepEnded(null, null, adjustment), failure: e => new IdleStepEnded("sent", e, adjustment));

    /// <summary>A pace step's write or send ended: <paramref name="What"/> names the one that did not happen (null: it did).</summary>
    /// <param name="Adjustment">The adjustment sent, for a send.</param>
    private sealed record IdleStepEnded(string? What, Exception? Error, BidAdjustment? Adjustment = null);

    private void Pace(CampaignSpec spec, ClickEvent evt, List<IDecision> decisions)
    {
        var tick = _pacer.TickOf(evt.EventTime);
        var delivery = CampaignDelivery.Of(_delivery, _delivery.ReadTimeMs(evt.EventTime));
        if (delivery.Exhausts(spec))
        {
            // Checked on every event, not once per tick: an exhausted campaign must stop bidding at once.
            var exhaustedTick = _pacing.ExhaustedTick >= 0 ? _pacing.ExhaustedTick : tick; // this exhaustion's, also after a reload
            // Sent again at a new budget still below the spend: the other nodes' boards read the raise as budget left (their
            // last exhaustion says less was spent) and bid again; before 2026-12-06 nothing stopped them.
            // And again, same id, once no adjustment has gone out for the pacer's quiet ticks while events still come: the
            // compacted adjustments topic keeps the last record per campaign, which a previous owner's late adjustment (budget
            // left) or an idle step sent beside this exhaustion can be; a node that starts reads only that one, and bids.
            var quiet = tick - _pacing.LastEmittedTick >= _pacer.MaxQuietTicks;
            if (_exhaustedAt != spec.Budget || quiet) Emit(_pacer.Exhaust(spec, delivery, _pacing.State, evt.EventId, exhaustedTick), tick, decisions);
            // The clock stops with the spend, in Redis too: an actor reloaded after a raise (an exhausted campaign wins
            // nothing and passivates) restarts it as one that never stopped does, instead of stepping once over the hours
            // it was exhausted and winding its integral up to the highest multiplier.
            (_exhaustedAt, _pacing) = (spec.Budget, _pacing with { LastTick = -1, ExhaustedTick = exhaustedTick });
            _board.Publish(delivery.Snapshot(spec, 0, DateTimeOffset.UtcNow));
            return;
        }
        // Stamped before the flight (a device clock days behind, a conversion of an earlier flight under the same id): it says
        // nothing of now, and stopped the clock mid-flight before 2026-12-07, so a silence after it was never paced.
        if (evt.EventTime < spec.FlightStart) return;
        if (evt.EventTime >= spec.FlightEnd)
        {
            // Outside its flight a campaign is not bid for: nothing to pace. The clock stops (late clicks and conversions still
            // come in), so the plan's last minute is not stepped over for hours, winding the integral up; a flight extended
            // later starts it again from its next event, as a raised budget does.
            _pacing = _pacing with { LastTick = -1 };
            return;
        }
        if (_pacing.LastTick < 0)
        {
            // The first event (or the first after the budget was raised or the flight extended: the clock had stopped) starts it:
            // pacing needs history. Never before the last tick it sent for: a late event restarting it there stepped over
            // ticks already paced again, and sent their adjustments' ids a second time with other multipliers.
            StartClock(spec, delivery, Math.Max(tick, _pacing.LastEmittedTick), evt.EventId, decisions);
            return;
        }
        if (tick <= _pacing.LastTick) return;
        StepTo(spec, tick, evt.EventId, decisions);
    }

    /// <summary>
    /// Starts the stopped clock at <paramref name="start"/>. Out of an exhaustion (the budget raised above the spend), the pacing
    /// starts over and says so at once (<see cref="CampaignPacer.Resume"/>), on the node's board too.
    /// </summary>
    private void StartClock(CampaignSpec spec, CampaignDelivery delivery, long start, string causedBy, List<IDecision> decisions)
    {
        var resumed = _pacing.ExhaustedTick >= 0;
        if (resumed) Emit(_pacer.Resume(spec, delivery, _pacing.State, causedBy, _pacing.ExhaustedTick), start, decisions);
        (_exhaustedAt, _pacing) = (null, _pacing with { LastTick = start, LastEmittedTick = start, ExhaustedTick = -1, ClockStartTick = start });
        if (resumed) _board.Publish(delivery.Snapshot(spec, _pacing.State.Multiplier, DateTimeOffset.UtcNow));
    }

    /// <summary>Steps the controller over the ticks since the last to <paramref name="tick"/> (an event's, or an idle one), and the node's board with it.</summary>
    private void StepTo(CampaignSpec spec, long tick, string causedBy, List<IDecision> decisions)
    {
        Emit(_pacer.Step(spec, _delivery, _pacing.State, tick, _pacing.LastTick, _pacing.LastEmittedTick, causedBy, _pacing.ClockStartTick), tick, decisions);
        _pacing = _pacing with { LastTick = tick };
        _board.Publish(CampaignDelivery.Of(_delivery, tick * (long)_pacer.TickInterval.TotalMilliseconds)
            .Snapshot(spec, _pacing.State.Multiplier, DateTimeOffset.UtcNow));
    }

    private void Emit(PacingStep step, long tick, List<IDecision> decisions)
    {
        _pacing = _pacing with { State = step.State };
        if (step.Adjustment is not { } adjustment) return;
        decisions.Add(adjustment);
        _pacing = _pacing with { LastEmittedTick = Math.Max(_pacing.LastEmittedTick, tick) }; // a late exhaustion sent for an earlier minute
        _delivery.SetLastAdjustment(JsonSerializer.Serialize(adjustment, EngineJson.Default.BidAdjustment));
    }

    /// <summary>
    /// The last adjustment sent, read from the delivery's copy when a replay needs it (replays only: no second copy to keep in
    /// step); one that does not parse (written by hand, cut short) is dropped, as a bad pacing memory is.
    /// </summary>
    private BidAdjustment? LastSent(string? json)
    {
        if (json is null) return null;
        try
        {
            return JsonSerializer.Deserialize(json, EngineJson.Default.BidAdjustment);
        }
        catch (JsonException e)
        {
            _log.Warning("Campaign {0}: its stored last adjustment does not parse ({1}); it will not be sent again on a replay", _campaignId, e.Message);
            return null;
        }
    }

    /// <summary>
    /// A replayed event that caused the last adjustment sends it again, as it was (same id): the first run's flush may have
    /// landed, recording its tick as paced, while Kafka never had the adjustment (a crash, or a produce that timed out and
    /// failed the run). A replay paces no tick again, so before 2026-12-06 that adjustment was lost, and the exchange and
    /// the other nodes kept the old multiplier until the next move. (A re-sent exhaustion is already among the decisions.)
    /// </summary>
    private void RepeatAdjustmentCausedBy(string eventId, List<IDecision> decisions)
    {
        // Parsed only when it may be this event's: a replay's other duplicates cost a string search, not a parse each.
        if (_delivery.LastAdjustment is not { } json || !json.Contains(eventId, StringComparison.Ordinal)) return;
        if (LastSent(json) is not { } last || last.CausedBy != eventId || decisions.Exists(d => d.DecisionId == last.DecisionId)) return;
        decisions.Add(last);
    }
}
