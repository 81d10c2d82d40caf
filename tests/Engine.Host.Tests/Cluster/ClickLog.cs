using System.Text;
using Confluent.Kafka;
using Engine.Actors.Features;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Testing.Features;

namespace Engine.Host.Tests.Cluster;

/// <summary>
/// The clickstream a test sends, kept as the event log: users browsing one category each, in event-time order,
/// keyed by user id with Kafka's murmur2 partitioner as real producers do; and the check that Redis holds exactly
/// the features the log implies.
/// </summary>
public sealed class ClickLog(string bootstrapServers, int users, DateTimeOffset start) : IDisposable
{
    private static readonly string[] Categories = ["shoes", "books", "garden", "toys"];
    private readonly IProducer<byte[], byte[]> _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
    {
        BootstrapServers = bootstrapServers, Partitioner = Partitioner.Murmur2Random, EnableIdempotence = true, LingerMs = 2,
    }).Build();
    private readonly List<ClickEvent> _events = [];

    public IReadOnlyList<ClickEvent> Events => _events;

    /// <summary>The next <paramref name="count"/> events, round-robin over the users; every user stays in one category.</summary>
    public void ProduceNext(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var n = _events.Count;
            var (user, step) = (n % users, n / users);
            var category = Categories[user % Categories.Length];
            var evt = new ClickEvent
            {
                EventId = $"e-{n}", EventTime = start.AddSeconds(n), UserId = $"u{user}", SessionId = $"s{user}-{step / 20}",
                Type = step % 9 == 4 ? EventType.AddToCart : EventType.ProductView, ItemId = $"{category}-{(user + step) % 12}", Category = category,
            };
            _events.Add(evt);
            Produce(evt.UserId, ClickEventCodec.Encode(evt));
        }
        _producer.Flush(TimeSpan.FromSeconds(10));
    }

    public void Produce(string key, byte[] value) =>
        _producer.Produce(Topics.Clickstream, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = value });

    public void Flush() => _producer.Flush(TimeSpan.FromSeconds(10));

    /// <summary>Every user's features in Redis against the reference computed from the log; returns how many users were checked.</summary>
    public async Task<int> AssertFeaturesMatchAsync(FeatureStore store)
    {
        var checkedUsers = 0;
        foreach (var group in _events.GroupBy(e => e.UserId))
        {
            var events = group.ToList();
            var state = await store.LoadUserAsync(group.Key);
            var asOf = events[^1].EventTime;
            FeatureAssert.Matches(ReferenceFeatures.User(events, asOf), FeatureNames.User,
                FeatureAssert.Read(UserFeatures.All, state, asOf.ToUnixTimeMilliseconds()), group.Key);
            checkedUsers++;
        }
        return checkedUsers;
    }

    /// <summary>What the engine's consumer group has committed on the clickstream, over all partitions.</summary>
    public long Committed(string groupId, int partitions) => Committed(groupId, Enumerable.Range(0, partitions));

    /// <summary>What the group has committed on these clickstream partitions.</summary>
    public long Committed(string groupId, IEnumerable<int> partitions)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = groupId }).Build();
        var committed = consumer.Committed(partitions.Select(p => new TopicPartition(Topics.Clickstream, p)), TimeSpan.FromSeconds(10));
        return committed.Sum(c => c.Offset.Value < 0 ? 0 : c.Offset.Value);
    }

    public void Dispose() => _producer.Dispose();
}
