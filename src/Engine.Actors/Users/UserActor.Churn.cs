using Akka.Actor;
using Akka.Event;
using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Actors.Sharding;
using Engine.Models.Contracts;
using Engine.Models.Decisions;
using static Engine.Actors.Users.UserProtocol;

namespace Engine.Actors.Users;

/// <summary>
/// The user's churn episode (docs/contracts.md, ChurnAlert): kept in the state, so in Redis, it outlives the actor. A sweep's
/// alert is kept only once Kafka has it; what a sweep moved is saved before the actor passivates.
/// </summary>
public sealed partial class UserActor
{
    private string? _sweepAlertInFlight; // a sweep's alert Kafka has not acknowledged yet: the episode it opened is kept in memory only
    // The same alert until Kafka acknowledges or refuses it (or it expires): an erasure waits for it. Apart from the episode, which
    // the user's return re-arms while the send goes on (before 2026-12-07 that ended the erasure's wait too, and the CRM could
    // hear of a user after their erasure was acknowledged; review).
    private string? _sweepAlertPending;
    private long _sweepAlertRaisedMs;
    private bool _erasureWaiting; // an erasure was refused for a sweep's alert on its way: the sweeps raise none until it is done
    private bool _savingChurnEpisode;

    /// <summary>The alert that opened the user's open episode, delivered or still on its way (null: armed).</summary>
    private string? OpenChurnEpisode => _sweepAlertInFlight ?? _state.ChurnAlertId;

    private void CheckChurn(CheckChurn check)
    {
        // No churn profiling without consent; and a user with no events left (erased, expired) has nothing to score.
        var hasEvents = _state.LastEventMs != Engine.Models.Features.State.EntityFeatureState.NoEvent;
        var alert = _consent.Personalisation && hasEvents && !_erasureWaiting ? CheckChurn(check.AsOf, check.TickId, fromSweep: true) : null;
        var watched = _consent.Personalisation && hasEvents
                      && check.AsOf.ToUnixTimeMilliseconds() - _state.LastEventMs < (long)MaxWatchedSilence.TotalMilliseconds;
        Sender.Tell(new ChurnChecked(_userId, alert, new UserSegment(_state.Device, _state.Region), watched, check.TickId, _returningSession));
    }

    /// <summary>A sweep's alert Kafka has neither acknowledged nor refused, within the longest a send can take.</summary>
    private bool SweepAlertOnItsWay =>
        _sweepAlertPending is not null && Environment.TickCount64 - _sweepAlertRaisedMs <= (long)MaxAlertDelivery.TotalMilliseconds;

    private void IdleChecked(IdleCheck _)
    {
        // A sweep's alert on its way keeps the actor (its episode lives only here until Kafka has the alert), but not for
        // longer than any send can take: past that it is taken as undelivered.
        if (_sweepAlertPending is not null && !SweepAlertOnItsWay) _sweepAlertPending = _sweepAlertInFlight = null;
        // An episode a sweep moved (no event carried it) is saved before the actor may passivate, once Redis holds
        // everything it answered: no earlier flush can land after it.
        if (_state.ChurnEpisodeUnsaved) SaveChurnEpisodeOnceDurable();
        else if (_sweepAlertPending is null) _idle?.Check(Context, Timers, _lastActiveMs, _lastAnswered);
    }

    private void ChurnAlertDelivered(ChurnAlertDelivered delivered)
    {
        // Kafka has the sweep's alert: its episode is kept with the features from now on. A fresh actor (the one that
        // raised it passivated meanwhile) keeps it too, while the user is still in the silence it was raised for.
        var inFlight = _sweepAlertInFlight == delivered.DecisionId;
        if (inFlight || (_sweepAlertInFlight is null && _state.ChurnAlertId is null && UserDecider.ChurnAlertId(_state) == delivered.DecisionId))
            _state.SetChurnEpisode(delivered.DecisionId, delivered.CausedBy);
        if (inFlight) _sweepAlertInFlight = null;
        if (_sweepAlertPending == delivered.DecisionId) _sweepAlertPending = null;
        if (_state.ChurnEpisodeUnsaved) SaveChurnEpisodeOnceDurable(); // at once, not at the next idle check: a stop meanwhile would lose it
    }

    private void ChurnAlertUndelivered(ChurnAlertUndelivered undelivered)
    {
        // Still the episode that alert opened: re-arm it, or the user would stay alerted with no alert sent. It was never
        // kept with the features (only a delivered one is), so nothing stored needs undoing.
        if (_sweepAlertInFlight == undelivered.DecisionId) _sweepAlertInFlight = null;
        if (_sweepAlertPending == undelivered.DecisionId) _sweepAlertPending = null;
    }

    private void ChurnEpisodeSaveHasEnded(ChurnEpisodeSaveEnded ended)
    {
        _savingChurnEpisode = false;
        if (ended.Error is null) _state.ChurnEpisodeSaved(ended.Episode);
        else _log.Warning("Churn episode of {0} not saved yet ({1}); trying again at the next idle check",
            _store.Keys.Entity(EntityKind.User, _userId), ended.Error.GetType().Name);
    }

    /// <summary>
    /// Scores churn and moves the user's episode, kept in the state, so in Redis: it outlives the actor (users passivate
    /// after two idle minutes). A move made on an event is written with that event's changes; one made by a sweep with the
    /// next event's, or before the actor passivates (<see cref="SaveChurnEpisode"/>); a sweep's alert only once Kafka has it
    /// (<see cref="ChurnAlertDelivered"/>).
    /// </summary>
    /// <param name="replay">A replayed event (Duplicate): it moves nothing. If the user's episode was opened on it (its
    /// <c>caused_by</c>), its alert (the same id) is sent again, whatever the score reads now
    /// (<see cref="UserDecider.RepeatChurnAlert"/>): the first run's may have been lost between its flush, which kept the
    /// episode, and its decisions.</param>
    private ChurnAlert? CheckChurn(DateTimeOffset asOf, string causedBy, bool fromSweep = false, bool replay = false)
    {
        var open = OpenChurnEpisode;
        if (replay)
        {
            // The first run moved the episode already, and its flush carried the move with this event's offset: a replay
            // moves nothing (scored at its own time, a replayed late event would read no silence and close the episode).
            if (_sweepAlertInFlight is not null || open is null || _state.ChurnOpenedBy != causedBy) return null;
            var repeat = _decider.RepeatChurnAlert(_state, asOf, causedBy);
            return repeat with { DecisionId = open, LastEventAt = open == repeat.DecisionId ? repeat.LastEventAt : asOf };
        }
        var episode = open is null ? ChurnEpisode.Armed : ChurnEpisode.Alerted;
        var alert = _decider.CheckChurn(_state, ref episode, asOf, causedBy);
        if (alert is not null && fromSweep) (_sweepAlertInFlight, _sweepAlertPending, _sweepAlertRaisedMs) = (alert.DecisionId, alert.DecisionId, Environment.TickCount64);
        else if (alert is not null) _state.SetChurnEpisode(alert.DecisionId, causedBy);
        else if (episode == ChurnEpisode.Armed)
        {
            _sweepAlertInFlight = null;
            _state.SetChurnEpisode(null, null);
        }
        return alert;
    }

    /// <summary>
    /// Writes the episode a sweep moved, which no event carried, while Redis's copy is this actor's (its <c>last_event</c>
    /// is the state's): a newer writer of the user, or an erased key, gets nothing (<see cref="FeatureStore.SaveChurnEpisodeAsync"/>).
    /// </summary>
    private void SaveChurnEpisodeOnceDurable()
    {
        if (!_savingChurnEpisode && _idle is { } idle && idle.MayStop(_lastAnswered)) SaveChurnEpisode();
    }

    /// <summary>
    /// Longer than a send of the sweeper's alert can take (its producer's <c>message.timeout.ms</c> is 300 s, unless an operator's
    /// client properties set it longer: past this an alert still queued could land after an erasure's acknowledgement).
    /// </summary>
    private static readonly TimeSpan MaxAlertDelivery = TimeSpan.FromMinutes(10);

    private void SaveChurnEpisode()
    {
        var episode = _state.ChurnEpisodeValue;
        if (_state.LastEventMs == Engine.Models.Features.State.EntityFeatureState.NoEvent)
        {
            _state.ChurnEpisodeSaved(episode);
            return;
        }
        _savingChurnEpisode = true;
        _store.SaveChurnEpisodeAsync(_userId, episode, _state.LastEventMs).PipeTo(Self,
            success: _ => new ChurnEpisodeSaveEnded(episode, null), failure: e => new ChurnEpisodeSaveEnded(episode, e));
    }

    private sealed record ChurnEpisodeSaveEnded(string? Episode, Exception? Error);
}
