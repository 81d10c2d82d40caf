using Confluent.Kafka;
using Engine.Actors.Pipeline;
using Engine.Models.Contracts;

namespace Engine.FaultTests.Harness;

/// <summary>
/// How far the campaign stream is behind the user stream's forwards: caught up once its consumer group has committed
/// every record written to the campaign-events topic (a replay's forwards included), read from the broker.
/// </summary>
public sealed class CampaignStreamProgress : IDisposable
{
    private readonly CommittedOffsets _committed;
    private readonly IConsumer<byte[], byte[]> _watermarks;
    private readonly List<TopicPartition> _partitions;

    /// <param name="group">The campaign stream's consumer group (<c>EngineNodeSettings.CampaignGroupId</c>).</param>
    public CampaignStreamProgress(string bootstrap, string group, int partitions)
    {
        _committed = new CommittedOffsets(bootstrap, group, Topics.CampaignEvents, partitions);
        _watermarks = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = group + "-watermarks" }).Build();
        _partitions = Enumerable.Range(0, partitions).Select(p => new TopicPartition(Topics.CampaignEvents, p)).ToList();
    }

    /// <summary>Records written to the campaign-events topic (the sum of its partitions' end offsets).</summary>
    public long Written => _partitions.Sum(p => _watermarks.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(5)).High.Value);

    public long Committed => _committed.Total;

    /// <summary>What the test injected without asking: the forwards a replay sent again, beside the campaign events delivered.</summary>
    public string Describe(IEnumerable<(ClickEvent Event, Engine.Models.Features.EventPosition Position)> delivered)
    {
        var (written, events) = (Written, delivered.Count(d => EntityRoute.ConcernsCampaign(d.Event)));
        return $"forwards written {written:N0} for {events:N0} campaign events ({written - events:N0} sent again by a replay)";
    }

    public Task WaitCaughtUpAsync(TimeSpan timeout)
    {
        var written = 0L;
        return Bounded.UntilAsync(() => Committed >= (written = Written), timeout,
            () => $"the campaign stream to commit every forward ({Committed:N0} of {written:N0} campaign-events records)");
    }

    public void Dispose()
    {
        _committed.Dispose();
        _watermarks.Dispose();
    }
}
