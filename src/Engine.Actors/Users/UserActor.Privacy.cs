using Akka.Actor;
using Akka.Cluster.Sharding;
using Engine.Actors.Privacy;
using Engine.Actors.Sharding;
using Engine.Models.Decisions;
using Engine.Models.Features;
using Engine.Models.Privacy;
using static Engine.Actors.Privacy.PrivacyProtocol;

namespace Engine.Actors.Users;

/// <summary>Consent and erasure, handled in turn with the user's events (stashing them while Redis answers).</summary>
public sealed partial class UserActor
{
    private void RecordConsent(RecordConsent request)
    {
        if (_privacy is null)
        {
            Sender.Tell(new PrivacyFailed(_userId, request.RequestId, "privacy is not configured on this node"));
            return;
        }
        // A change of personalisation forgets the lists sent: the next event's list is the new kind's, whatever was sent
        // before (an opted-out user who had had a popular list in the session went on seeing the personal one they opted
        // in for meanwhile, and one who opted back in kept the popular one while their inputs stood still).
        if (request.Consent.Personalisation != _consent.Personalisation) (_nonPersonal, _recommendation) = (default, default);
        _consent = request.Consent; // in force from the next event
        var replyTo = Sender;
        // The next message waits for Redis to have it: a reload meanwhile (after a failure, or by the next owner after a hand-off)
        // read the consent before it, and the user was decided for as they had allowed before (before 2026-12-07, review).
        Become(SavingConsent);
        _privacy.Store.SaveConsentAsync(_userId, request.Consent).PipeTo(Self,
            success: () => new ConsentSaved(request, replyTo, null),
            failure: e => new ConsentSaved(request, replyTo, e));
    }

    private void SavingConsent()
    {
        Receive<ConsentSaved>(saved =>
        {
            // A failed save keeps the consent in force here: the control carries the request out again.
            saved.ReplyTo.Tell(saved.Error is null
                ? new ConsentRecorded(_userId, saved.Request.RequestId)
                : new PrivacyFailed(_userId, saved.Request.RequestId, saved.Error.GetType().Name));
            Become(Ready);
            Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private void Erase(EraseUser request)
    {
        if (_privacy is null)
        {
            Sender.Tell(new PrivacyFailed(_userId, request.RequestId, "privacy is not configured on this node"));
            return;
        }
        // A sweep's churn alert still on its way to Kafka would reach the CRM after the erasure's acknowledgement: refused for
        // now (PrivacyControl tries again, backing off) until Kafka has it or has refused it. Waiting here instead would hold
        // the user's events past their asks' timeout for as long as a send may take.
        if (SweepAlertOnItsWay)
        {
            _erasureWaiting = true; // no new sweep alert meanwhile: a refused one re-raised each sweep would hold the erasure off for good
            Sender.Tell(new PrivacyFailed(_userId, request.RequestId, "a churn alert for this user is on its way to Kafka: erase again once it has landed"));
            return;
        }
        var replyTo = Sender;
        Become(Erasing);
        // The consent stays until the erasure's last step (PrivacyControl erases it in Redis directly): events the user sent
        // before the request may still come (a lagging pipeline, a replay), and are decided as the user allowed then.
        var lastAnswered = _lastAnswered;
        _privacy.Store.EraseAsync(_userId, keepConsent: true).PipeTo(Self,
            success: removed => new Erased(request, replyTo, removed, lastAnswered),
            failure: e => new EraseFailed(request, replyTo, e));
    }

    private void Erasing()
    {
        Receive<Erased>(done =>
        {
            ForgetEverything();
            done.ReplyTo.Tell(new UserErased(_userId, done.Request.RequestId, [.. done.Removed, "actor_state"], done.LastAnswered));
            // Passivate, not stop: the shard holds what arrives meanwhile and starts a fresh actor (empty Redis) for it. With a
            // stop the unstashed messages below see first, should one of them put the actor in a stashing state again.
            Context.Parent.Tell(new Passivate(HandOffStop.Instance));
            Become(Ready);
            Stash.UnstashAll();
        });
        Receive<EraseFailed>(failed =>
        {
            failed.ReplyTo.Tell(new PrivacyFailed(_userId, failed.Request.RequestId, failed.Error.GetType().Name));
            Become(Ready);
            Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    /// <summary>The in-memory state goes with the keys: an event after the erasure starts from nothing (but the consent, kept until the erasure ends).</summary>
    private void ForgetEverything()
    {
        _state = new UserFeatureState(_userId, _store.Options.AllowedLateness);
        ForgetMemory();
        (_returningSession, _sweepAlertInFlight) = (false, null);
    }

    /// <summary>
    /// What the actor keeps beside the state, as a new incarnation starts it (after an erasure, or a reload after a failure).
    /// Not a sweep's alert on its way, nor the episode it opened: the reloaded state does not hold that episode until Kafka has
    /// the alert (before 2026-12-07 a reload forgot it, and the user's next event could alert again for the same silence, or an
    /// erasure go ahead of the alert; review).
    /// </summary>
    private void ForgetMemory() =>
        (_recommendation, _churnScoredAt, _nonPersonal, _writer) = (default, DateTimeOffset.MinValue, default, default);

    // Not logged as dead letters when the actor stopped meanwhile: the line would name its path, which ends with the user id.
    private sealed record ConsentSaved(RecordConsent Request, IActorRef ReplyTo, Exception? Error) : Akka.Event.IDeadLetterSuppression;

    private sealed record Erased(EraseUser Request, IActorRef ReplyTo, IReadOnlyList<string> Removed, EventPosition? LastAnswered) : Akka.Event.IDeadLetterSuppression;

    private sealed record EraseFailed(EraseUser Request, IActorRef ReplyTo, Exception Error) : Akka.Event.IDeadLetterSuppression;
}
