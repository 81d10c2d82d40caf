using System.Globalization;
using System.Text.Json;
using Akka;
using Akka.Actor;
using Akka.Event;
using Confluent.Kafka;
using Engine.Actors.Pipeline;
using Engine.Models.Contracts;

namespace Engine.Actors.Users;

/// <summary>How often the sweeper looks, how many users it wakes per partition and look, and when a checked user who did not alert is looked at again.</summary>
public sealed record ChurnSweepSettings(TimeSpan Interval, int MaxUsersPerSweep, TimeSpan RecheckAfter, int Partitions);

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
    private readonly Dictionary<string, (int Partition, long AsOfMs)> _waiting = new(StringComparer.Ordinal);

    public ChurnSweeper(IActorRef users, ChurnDueList due, PartitionClock clock, IProducer<byte[], byte[]> producer,
        DecisionTopics topics, DecisionCounters counters, ChurnSweepSettings settings, Engine.Models.Fairness.FairnessMonitor? fairness = null)
    {
        (_users, _due, _clock, _producer, _topics, _counters, _settings, _fairness) = (users, due, clock, producer, topics, counters, settings, fairness);
        Receive<Sweep>(_ => SweepDue());
        Receive<DueUsers>(WakeUp);
        Receive<EntityHandled>(Checked);
        Receive<Status.Failure>(f => _log.Warning(f.Cause, "Churn sweep step failed; the users stay due and are retried next sweep"));
        Receive<Done>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef users, ChurnDueList due, PartitionClock clock, IProducer<byte[], byte[]> producer,
        DecisionTopics topics, DecisionCounters counters, ChurnSweepSettings settings, Engine.Models.Fairness.FairnessMonitor? fairness = null) =>
        Akka.Actor.Props.Create(() => new ChurnSweeper(users, due, clock, producer, topics, counters, settings, fairness));

    protected override void PreStart() => Timers.StartPeriodicTimer("sweep", Sweep.Instance, _settings.Interval);

    private void SweepDue()
    {
        if (_waiting.Count > 0) return; // the previous sweep is still being answered
        foreach (var (partition, watermark) in _clock.Watermarks)
            _due.DueAsync(partition, watermark, _settings.MaxUsersPerSweep)
                .PipeTo(Self, success: users => new DueUsers(partition, watermark, users));
    }

    private void WakeUp(DueUsers due)
    {
        var asOf = DateTimeOffset.FromUnixTimeMilliseconds(due.AsOfMs);
        foreach (var user in due.Users)
        {
            if (!_waiting.TryAdd(user, (due.Partition, due.AsOfMs))) continue;
            _users.Tell(new UserProtocol.CheckChurn(user, asOf, $"sweep:{due.Partition}:{due.AsOfMs.ToString(CultureInfo.InvariantCulture)}"));
        }
    }

    private void Checked(EntityHandled handled)
    {
        if (!_waiting.Remove(handled.EntityId, out var check)) return;
        var alerts = handled.Decisions.OfType<ChurnAlert>().ToList();
        if (handled.Segment is { } segment) _fairness?.ObserveChurnCheck(segment.Device, segment.Region, alerts.FirstOrDefault());
        var next = alerts.Count > 0 ? (long?)null : check.AsOfMs + (long)_settings.RecheckAfter.TotalMilliseconds;
        SendThenRecordAsync(handled.EntityId, check.Partition, check.AsOfMs, alerts, next).PipeTo(Self);
    }

    /// <summary>The alert is acknowledged by Kafka before the user leaves the due-list: a crash in between re-checks them (same alert id).</summary>
    private async Task<Done> SendThenRecordAsync(string user, int partition, long asOfMs, List<ChurnAlert> alerts, long? next)
    {
        foreach (var alert in alerts)
        {
            var record = _topics.Record(alert);
            await _producer.ProduceAsync(record.Topic, new Message<byte[], byte[]> { Key = record.Key!, Value = record.Value! });
            _counters.Count(alert);
        }
        await _due.CheckedAsync(partition, user, asOfMs, next);
        return Done.Instance;
    }

    private sealed class Sweep
    {
        public static readonly Sweep Instance = new();
    }

    private sealed record DueUsers(int Partition, long AsOfMs, IReadOnlyList<string> Users);
}
