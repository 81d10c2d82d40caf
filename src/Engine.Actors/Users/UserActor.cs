using Akka.Actor;
using Akka.Event;
using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Actors.Privacy;
using Engine.Actors.Sharding;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using Engine.Models.Features;
using Engine.Models.Privacy;
using static Engine.Actors.Users.UserProtocol;

namespace Engine.Actors.Users;

/// <summary>
/// One user: the hot copy of the user's features, and the decisions about them. Loads its state from Redis on
/// start (stashing what arrives meanwhile), then applies each event in partition order, decides, and replies
/// with the decisions and the changes for the stream to write behind. Never blocks: I/O is piped.
/// Privacy (docs/privacy.md): consent is loaded with the state and honoured from the next event on; an erasure request
/// is handled in turn with the user's events, deletes the user's keys and state, and passivates the actor.
/// </summary>
public sealed partial class UserActor : ReceiveActor, IWithStash, IWithTimers
{
    private readonly string _userId;
    private readonly FeatureStore _store;
    private readonly UserDecider _decider;
    private readonly UserPrivacy? _privacy;
    private readonly IdlePassivation? _idle;
    // Sourced by type, not by the actor's path: the path ends with the user id, which no log may carry (docs/privacy.md).
    private readonly ILoggingAdapter _log = Logging.GetLogger(Context.System, typeof(UserActor));
    private readonly List<string> _coVisited = new(UserFeatureState.SessionItemsKept);
    private UserFeatureState _state = null!;
    private RecommendationMemo _recommendation;
    private DateTimeOffset _churnScoredAt = DateTimeOffset.MinValue;
    private bool _returningSession;
    private Consent _consent = Consent.Granted;
    private (bool Sent, string? Session, int Bought) _nonPersonal; // the last popular list sent to an opted-out user: its session and how many items were bought in it
    private EventPosition? _lastAnswered;
    // Before 2026-12-06 a replayed view, answered as a duplicate, carried no co-visits, and those of a view whose slices' flush
    // had not landed were lost when the stream restarted under a live actor.
    private readonly RecentCoVisits _recentCoVisits = new(32);
    private WriterHandover _writer;
    private long _lastActiveMs = Environment.TickCount64;
    private bool _ready; // loaded: a failure from here on reloads the state rather than stopping the actor
    private long _failedAtMs;

    /// <param name="privacy">Consent and erasure; null (tests of decisions alone): everyone consents, erasure is refused.</param>
    /// <param name="idle">When to passivate once idle; null: never on its own.</param>
    public UserActor(string userId, FeatureStore store, UserDecider decider, UserPrivacy? privacy = null, IdlePassivation? idle = null)
    {
        (_userId, _store, _decider, _privacy, _idle) = (userId, store, decider, privacy, idle);
        Become(Loading);
    }

    public IStash Stash { get; set; } = null!;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string userId, FeatureStore store, UserDecider decider, UserPrivacy? privacy = null, IdlePassivation? idle = null) =>
        Akka.Actor.Props.Create(() => new UserActor(userId, store, decider, privacy, idle));

    /// <summary>
    /// Akka would log a failure under this actor's path, which ends with the raw user id (docs/privacy.md): it is logged
    /// here instead, under the user's pseudonymised key and without the exception's message (which may quote input). The
    /// event it failed on is answered <see cref="EntityFailed"/> (dead-lettered with the reason), not left to time out,
    /// and the state, which it may have left half-applied, is reloaded once Redis holds everything answered before
    /// (<see cref="EntityRecovery"/>). A failure before the state is ready stops the actor, as before.
    /// </summary>
    protected override bool AroundReceive(Receive receive, object message)
    {
        // Activity is what comes through the shard (timer ticks arrive wrapped, and self-messages are not the user's doing).
        if (message is IShardedMessage) _lastActiveMs = Environment.TickCount64;
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception e)
        {
            _log.Error("User actor for {0} failed on {1} ({2}); {3}{4}{5}", _store.Keys.Entity(EntityKind.User, _userId),
                message.GetType().Name, e.GetType().Name, _ready ? "reloading its state once its answers are durable" : "stopping it",
                Environment.NewLine, e.StackTrace);
            if (message is UserProtocol.RecordEvent failed) Sender.Tell(EntityFailed.Of("user", failed.Position, e));
            // The sweeper waits for every check it sends (its partition is not swept meanwhile): answered without an alert and still
            // watched, so the user is looked at again a recheck later (before 2026-12-07 the partition's sweeps waited out the
            // answer's 30 s timeout, at every look while the check kept failing; review).
            else if (message is UserProtocol.CheckChurn check)
                Sender.Tell(new UserProtocol.ChurnChecked(_userId, null, new UserSegment(_state?.Device, _state?.Region), StillWatched: true, check.TickId));
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
            ForgetMemory(); // afresh, as a new incarnation would start, but for a sweep's alert still on its way (see ForgetMemory)
            LoadAsync().PipeTo(Self, failure: e => new LoadFailed(e));
            Become(Loading);
        });
        // Its writer is kept until the reload: one on another node keeps it too (its answers wait there, not here).
        Receive<StopEntity>(TakeStop);
        ReceiveAny(_ => Stash.Stash());
    }

    protected override void PreStart()
    {
        _idle?.Watch(Timers);
        LoadAsync().PipeTo(Self, failure: e => new LoadFailed(e));
    }

    protected override void PostStop() => _idle?.Stopped(_userId, _lastAnswered);

    /// <summary>A stream's restart on this node: stops unless the writer it last answered runs on another node (<see cref="EntityShards.StopAllAsync"/>).</summary>
    private void TakeStop(StopEntity stop) => EntityStop.Take(stop, _writer.AnsweringElsewhere, Context);

    private async Task<Loaded> LoadAsync()
    {
        if (_idle is not null) await _idle.LoadWhenCaughtUpAsync(_userId);
        var consent = _privacy?.Store.LoadConsentAsync(_userId) ?? Task.FromResult(Consent.Granted);
        var state = await _store.LoadUserAsync(_userId);
        return new Loaded(state, await consent);
    }

    private void Loading()
    {
        Receive<Loaded>(loaded =>
        {
            (_state, _consent) = (loaded.State, loaded.Consent);
            _returningSession = _state.Sessions.Size > 1; // the session's user had others before it (the last 7 days tell)
            _ready = true;
            Become(Ready);
            Stash.UnstashAll();
        });
        Receive<LoadFailed>(failed =>
        {
            _log.Warning(failed.Error, "User state could not be loaded from Redis; replying NotReady and stopping (the next event starts it again)");
            LoadFailure.AnswerWaitingNotReady(Stash, _userId, failed.Error);
            Context.Stop(Self);
        });
        // Nothing answered since it started loading (no writer): a stream's restart stops it.
        Receive<StopEntity>(TakeStop);
        ReceiveAny(_ => Stash.Stash());
    }

    private void Ready()
    {
        Receive<RecordEvent>(Record);
        // The shard moves: stashed while loading, so what the actor holds is answered first (HandOffStop).
        Receive<HandOffStop>(_ => Context.Stop(Self));
        Receive<StopEntity>(TakeStop);
        Receive<PrivacyProtocol.RecordConsent>(RecordConsent);
        Receive<PrivacyProtocol.EraseUser>(Erase);
        Receive<IdleCheck>(IdleChecked);
        Receive<ChurnEpisodeSaveEnded>(ChurnEpisodeSaveHasEnded);
        Receive<ChurnAlertDelivered>(ChurnAlertDelivered);
        Receive<ChurnAlertUndelivered>(ChurnAlertUndelivered);
        Receive<CheckChurn>(CheckChurn);
    }

    private void Record(RecordEvent msg)
    {
        var evt = msg.Event;
        _writer.Answering(Sender, _state);
        var (lastEventMs, session) = (_state.LastEventMs, _state.CurrentSession);
        var hadEvents = lastEventMs != Engine.Models.Features.State.EntityFeatureState.NoEvent;
        _coVisited.Clear();
        var outcome = _state.Apply(evt, msg.Position, _coVisited);
        // The state's session moves: an event without one (a bid request, a server-side purchase), a late event of an earlier
        // session, or a replay neither starts nor ends one (each of these moved an actor's own copy before).
        // New vs returning (for fairness monitoring): a session of a user who had been here before.
        if (_state.CurrentSession != session) _returningSession = hadEvents;

        // A replayed event (Duplicate) is decided again: its decisions carry the same ids, so nothing is lost if the
        // first run died between writing features and emitting decisions, and consumers drop the repeats. (A replayed bid
        // request is past its tmax by then, and dropped: the exchange has moved on either way.)
        var decisions = new List<IDecision>(2);
        var (dropped, listLeftToLater) = (0, false);
        switch (evt.Type)
        {
            case EventType.ProductView or EventType.Search or EventType.AddToCart or EventType.Purchase when !_consent.Personalisation:
                // Opted out: the popular list, once per session and again after each purchase in it, without what the session
                // bought (a replay re-emits it, same id). Keyed by the event's session, a server-side purchase (none) sent it
                // again, bought item included, at the session's next view; and a purchase in the session left it on show.
                var sent = (true, _state.CurrentSession, _state.BoughtInSession.Count);
                if (_nonPersonal != sent || outcome == ApplyOutcome.Duplicate)
                    decisions.Add(_privacy!.NonPersonal.Recommend(_userId, evt, _state.BoughtInSession));
                _nonPersonal = sent;
                break;
            case EventType.ProductView or EventType.Search or EventType.AddToCart or EventType.Purchase when msg.ListSuperseded:
                // A later page event of the session, read with this one, sends the list instead (ListConflation). Forgetting the last
                // list sent makes that one go out even if it repeats it: the storefront is owed the list of the session's latest click.
                (_recommendation, listLeftToLater) = (default, true);
                break;
            case EventType.ProductView or EventType.Search or EventType.AddToCart or EventType.Purchase:
                // A replay is never suppressed as a repeat of the last list: its first emission may have been lost in a crash.
                var memo = outcome == ApplyOutcome.Duplicate ? default : _recommendation;
                if (_decider.Recommend(_state, evt, _state.BoughtInSession, ref memo, replay: outcome == ApplyOutcome.Duplicate) is { } recommendation)
                    decisions.Add(recommendation);
                if (outcome != ApplyOutcome.Duplicate) _recommendation = memo;
                break;
            case EventType.BidRequest:
                var now = DateTimeOffset.UtcNow;
                // The exchange has moved on. A replay's is not counted again: the first run answered it, or counted it.
                if (PastTmax(msg.ReceivedAt, now, evt.BidRequest!)) dropped = outcome == ApplyOutcome.Duplicate ? 0 : 1;
                else if (!_consent.AdTargeting) decisions.Add(_privacy!.NonPersonal.NoBid(_userId, evt, now));
                else decisions.Add(_decider.Bid(_state, evt, now, msg.ReceivedAt, replay: outcome == ApplyOutcome.Duplicate));
                break;
        }
        // Activity re-arms a churn episode, so an open episode is scored on the user's next event to close it. Right after
        // an event an armed user's probability is low; scoring them at most once per interval of event time (silence is
        // the sweeper's) spares a model call on almost every click.
        // Only the user's newest event is activity (a replay is scored to repeat what its first run sent): a late one, dropped
        // from the features or counted within the lateness, is older than the silence already scored, and scored at no
        // silence it closed the episode of a user who never came back (and the sweep alerted them again).
        if (_consent.Personalisation
            && (outcome == ApplyOutcome.Duplicate || (outcome == ApplyOutcome.Applied && evt.EventTime.ToUnixTimeMilliseconds() >= lastEventMs))
            && (OpenChurnEpisode is not null || evt.EventTime - _churnScoredAt >= ChurnRescoreInterval))
        {
            _churnScoredAt = evt.EventTime;
            if (CheckChurn(evt.EventTime, evt.EventId, replay: outcome == ApplyOutcome.Duplicate) is { } alert) decisions.Add(alert);
        }
        string[]? coVisited = _coVisited.Count == 0 ? null : [.. _coVisited];
        if (coVisited is not null && outcome == ApplyOutcome.Applied) _recentCoVisits.Remember(msg.Position, coVisited);
        else if (outcome == ApplyOutcome.Duplicate) coVisited = _recentCoVisits.Of(msg.Position);
        Sender.Tell(new EntityHandled(EntityKind.User, _userId, decisions, _store.Changes.Drain(_state), outcome, dropped, _returningSession,
            CoVisited: coVisited, Position: msg.Position, ListLeftToLater: listLeftToLater));
        _lastAnswered = msg.Position;
    }

    /// <summary>Event time between churn scores of an armed, active user.</summary>
    public static readonly TimeSpan ChurnRescoreInterval = TimeSpan.FromHours(1);

    /// <summary>The exchange has moved on: an answer now would come after the request's <c>tmax</c> since <paramref name="receivedAt"/>.</summary>
    public static bool PastTmax(DateTimeOffset receivedAt, DateTimeOffset now, BidRequest request) => now - receivedAt > TimeSpan.FromMilliseconds(request.Tmax);

    private sealed record Loaded(UserFeatureState State, Consent Consent);

    private sealed record LoadFailed(Exception Error);

}
