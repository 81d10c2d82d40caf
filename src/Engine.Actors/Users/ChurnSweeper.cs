using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Confluent.Kafka;
using Engine.Actors.Pipeline;
using Engine.Models.Contracts;

namespace Engine.Actors.Users;

/// <summary>How often the sweeper looks, how many users it wakes per partition and look, and when a checked user who did not alert is looked at again.</summary>
/// <param name="AnswerTimeout">How long a woken user may take to answer before the sweeper stops waiting for it (default 30 s; the user stays due).</param>
/// <param name="MaxChecksPerSecond">Users the node wakes per second over all its partitions, shared between them (default 1,000):
/// each woken user's state is loaded and stays in memory until it passivates (2 minutes idle). Per partition alone, a
/// node of 8 partitions woke 8,000 a second, and after a backlog (a day of event time caught up at once) over a million
/// actors were resident (before 2026-12-07, review). Those left wait for the next looks: their alerts come later, none is lost.</param>
/// <param name="Behind">How far behind its partition's clock a sweep reads: the clock is the newest event time made durable, and
/// events at later offsets may carry earlier times (a mobile SDK uploading a batch). A check as of the clock scored a user who
/// came back minutes before it as silent all along, before their event was read. A margin, not a bound: an event read
/// later than this behind the clock still comes after the check (a returning user's event is never late for their own
/// state). The node uses 10 minutes, the entities' allowed lateness, since 2026-12-07 (review).</param>
public sealed record ChurnSweepSettings(TimeSpan Interval, int MaxUsersPerSweep, TimeSpan RecheckAfter, int Partitions, TimeSpan? AnswerTimeout = null,
    int MaxChecksPerSecond = 1_000, TimeSpan Behind = default)
{
    public TimeSpan EffectiveAnswerTimeout => AnswerTimeout ?? TimeSpan.FromSeconds(30);

    /// <summary>Users one look may wake over all partitions: the rate over the interval, at least one.</summary>
    public int ChecksPerLook => Math.Max(1, (int)Math.Min(int.MaxValue, MaxChecksPerSecond * Interval.TotalSeconds));
}

/// <summary>
/// Churn is mostly silence: users who stop sending events must still be re-scored. Every interval the sweeper
/// reads, per partition, the users whose due time has passed the partition's event-time clock, wakes only those
/// (a <see cref="UserProtocol.CheckChurn"/> to the shard region), sends any alert to the churn topic, and then
/// takes the user off the list (alerted) or moves their next check later. Never blocks: all I/O is piped.
/// </summary>
public sealed class ChurnSweeper : ReceiveActor, IWithTimers
{
    private readonly IActorRef _users;
    private readonly ChurnDueList _due;
    private readonly PartitionClock _clock;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly DecisionTopics _topics;
    private readonly DecisionCounters _counters;
    private readonly ChurnSweepSettings _settings;
    private readonly Engine.Models.Fairness.FairnessMonitor? _fairness;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    // Users woken by this sweep, until their alert is sent and the due-list updated: none is woken twice meanwhile.
    private readonly Dictionary<string, Waiting> _waiting = new(StringComparer.Ordinal);
    // Partitions whose due-list read has not come back yet.
    private readonly HashSet<int> _reading = [];
    // Partitions whose last look found as many due users as it could wake: a backlog (see ShareOf).
    private readonly HashSet<int> _hungry = [];

    public ChurnSweeper(IActorRef users, ChurnDueList due, PartitionClock clock, IProducer<byte[], byte[]> producer,
        DecisionTopics topics, DecisionCounters counters, ChurnSweepSettings settings, Engine.Models.Fairness.FairnessMonitor? fairness = null)
    {
        (_users, _due, _clock, _producer, _topics, _counters, _settings, _fairness) = (users, due, clock, producer, topics, counters, settings, fairness);
        Receive<Sweep>(_ => SweepDue());
        Receive<DueUsers>(WakeUp);
        Receive<DueReadFailed>(failed =>
        {
            _reading.Remove(failed.Partition);
            _log.Warning(failed.Error, "Churn due-list of partition {0} could not be read; trying again next sweep", failed.Partition);
        });
        Receive<UserProtocol.ChurnChecked>(Checked);
        Receive<EntityNotReady>(notReady => _waiting.Remove(notReady.EntityId)); // still due: the next sweep wakes them again
        // A check counts for fairness once: with its alert when Kafka has it, without one once the due-list has its outcome. A check
        // whose alert or update failed is made again next sweep, and counting each attempt (every second, for as long as Kafka or
        // Redis refused) sank the alert rates; an alert sent whose update then failed is not raised again, so it counts when sent.
        Receive<AlertSent>(sent => Observe(sent.Check));
        Receive<Recorded>(recorded =>
        {
            _waiting.Remove(recorded.Check.UserId);
            if (recorded.Check.Alert is null) Observe(recorded.Check);
        });
        Receive<RecordFailed>(failed =>
        {
            _waiting.Remove(failed.User);
            _log.Warning(failed.Error, "Churn alert or due-list update failed; the user stays due and is checked again next sweep");
        });
        Receive<Status.Failure>(f => _log.Warning(f.Cause, "Churn sweep step failed; the users stay due and are retried next sweep"));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private void Observe(UserProtocol.ChurnChecked check) =>
        _fairness?.ObserveChurnCheck(check.Segment.Device, check.Segment.Region, check.Returning, check.Alert);

    public static Props Props(IActorRef users, ChurnDueList due, PartitionClock clock, IProducer<byte[], byte[]> producer,
        DecisionTopics topics, DecisionCounters counters, ChurnSweepSettings settings, Engine.Models.Fairness.FairnessMonitor? fairness = null) =>
        Akka.Actor.Props.Create(() => new ChurnSweeper(users, due, clock, producer, topics, counters, settings, fairness));

    protected override void PreStart() => Timers.StartPeriodicTimer("sweep", Sweep.Instance, _settings.Interval);

    private void SweepDue()
    {
        // A check whose answer never came (the actor stopped with it in its mailbox, or failed on it) must not hold the
        // sweeper for ever: forget it, the user is still due. A user whose alert is being sent is never forgotten here.
        var now = DateTime.UtcNow;
        foreach (var (user, waiting) in _waiting.Where(w => !w.Value.Sending && now - w.Value.WokenUtc > _settings.EffectiveAnswerTimeout).ToList())
        {
            _waiting.Remove(user);
            _log.Warning("Churn check of a user on partition {0} got no answer within {1}; checking again next sweep", waiting.Partition, _settings.EffectiveAnswerTimeout);
        }
        // A partition whose previous sweep is still being answered waits for it; the others are swept (before 2026-12-06 one
        // user slow to answer, up to the answer timeout, held up the sweeps of every partition).
        var answering = _waiting.Values.Select(w => w.Partition).ToHashSet();
        var sweeping = _clock.Watermarks.Where(w => !answering.Contains(w.Key) && !_reading.Contains(w.Key)).ToList();
        if (sweeping.Count == 0) return;
        var hungry = sweeping.Count(s => _hungry.Contains(s.Key));
        foreach (var (partition, watermark) in sweeping)
        {
            _reading.Add(partition);
            var (asOf, limit) = (watermark - (long)_settings.Behind.TotalMilliseconds, ShareOf(partition, sweeping.Count, hungry));
            _due.DueAsync(partition, asOf, limit)
                .PipeTo(Self, success: users => new DueUsers(partition, asOf, limit, users), failure: e => new DueReadFailed(partition, e));
        }
    }

    /// <summary>
    /// A partition's part of the look's checks (the node's rate, shared). Partitions whose last look filled their part
    /// (a backlog) share what the others leave: those get a tenth of an equal part (at least one), enough to find their
    /// next due users. With equal parts alone, a partition alone with a backlog drained at an eighth of the rate of 8.
    /// </summary>
    private int ShareOf(int partition, int sweeping, int hungry)
    {
        var budget = _settings.ChecksPerLook;
        var equal = Math.Max(1, budget / sweeping);
        if (hungry == 0 || hungry == sweeping) return Math.Min(_settings.MaxUsersPerSweep, equal);
        var probe = Math.Max(1, equal / 10);
        var share = _hungry.Contains(partition) ? Math.Max(1, (budget - probe * (sweeping - hungry)) / hungry) : probe;
        return Math.Min(_settings.MaxUsersPerSweep, share);
    }

    private void WakeUp(DueUsers due)
    {
        _reading.Remove(due.Partition);
        if (due.Users.Count >= due.Limit) _hungry.Add(due.Partition);
        else _hungry.Remove(due.Partition);
        var asOf = DateTimeOffset.FromUnixTimeMilliseconds(due.AsOfMs);
        var tick = $"sweep:{due.Partition}:{due.AsOfMs.ToString(CultureInfo.InvariantCulture)}";
        foreach (var user in due.Users)
        {
            if (!_waiting.TryAdd(user, new Waiting(due.Partition, due.AsOfMs, tick, DateTime.UtcNow, Sending: false))) continue;
            _users.Tell(new UserProtocol.CheckChurn(user, asOf, tick));
        }
    }

    private void Checked(UserProtocol.ChurnChecked handled)
    {
        // The answer to an earlier check, given up on, while the user was woken again: without an alert it says nothing of
        // the check waiting now (taken for its answer, it moved the user a day on, and the alert the waiting check raised was
        // then dropped). With one, it answers for the check waiting now: the actor, alerted, raises none on that one.
        var isWaiting = _waiting.TryGetValue(handled.UserId, out var check);
        if (isWaiting && handled.Alert is null && handled.TickId is { } tick && check!.TickId != tick) return;
        if (!isWaiting || check!.Sending)
        {
            // An answer after its check was given up on (or beside one being sent): its alert is not sent from here, so the
            // actor's episode is re-armed, or the user would stay alerted with no alert sent and be moved a day on unalerted.
            if (handled.Alert is { } unsent) _users.Tell(new UserProtocol.ChurnAlertUndelivered(handled.UserId, unsent.DecisionId));
            return;
        }
        _waiting[handled.UserId] = check with { Sending = true };
        // Alerted, or no longer watched: off the list. Else looked at again later.
        var next = handled.Alert is not null || !handled.StillWatched ? (long?)null : check.AsOfMs + (long)_settings.RecheckAfter.TotalMilliseconds;
        var user = handled.UserId;
        SendThenRecordAsync(handled, check.Partition, check.AsOfMs, next, Self)
            .PipeTo(Self, success: () => new Recorded(handled), failure: e => new RecordFailed(user, e));
    }

    /// <summary>
    /// The alert is acknowledged by Kafka before the user leaves the due-list: a crash in between re-checks them (same alert
    /// id). A send that fails re-arms the user's episode, so the next sweep raises the alert again (same id), rather than
    /// finding the user already alerted and moving their next check a day on with no alert sent. A sent alert is reported to
    /// the user's actor, which only then keeps the episode with the user's features (<see cref="UserProtocol.ChurnAlertDelivered"/>).
    /// </summary>
    private async Task SendThenRecordAsync(UserProtocol.ChurnChecked handled, int partition, long asOfMs, long? next, IActorRef self)
    {
        var (user, alert) = (handled.UserId, handled.Alert);
        if (alert is not null)
        {
            try
            {
                await _topics.ProduceAsync(_producer, alert);
            }
            catch (Exception)
            {
                _users.Tell(new UserProtocol.ChurnAlertUndelivered(user, alert.DecisionId));
                throw;
            }
            _counters.Count(alert);
            self.Tell(new AlertSent(handled));
            _users.Tell(new UserProtocol.ChurnAlertDelivered(user, alert.DecisionId, alert.CausedBy));
        }
        await _due.CheckedAsync(partition, user, asOfMs, next);
    }

    private sealed class Sweep
    {
        public static readonly Sweep Instance = new();
    }

    private sealed record DueUsers(int Partition, long AsOfMs, int Limit, IReadOnlyList<string> Users);

    private sealed record DueReadFailed(int Partition, Exception Error);

    private sealed record Waiting(int Partition, long AsOfMs, string TickId, DateTime WokenUtc, bool Sending);

    private sealed record Recorded(UserProtocol.ChurnChecked Check);

    private sealed record AlertSent(UserProtocol.ChurnChecked Check);

    private sealed record RecordFailed(string User, Exception Error);
}
