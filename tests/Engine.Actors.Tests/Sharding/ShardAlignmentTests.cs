using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka;
using Akka.Actor;
using Akka.Cluster.Sharding.External;
using Engine.Actors.Sharding;

namespace Engine.Actors.Tests.Sharding;

/// <summary>
/// A shard's move to the node that reads its partition is tried until it lands: before 2026-12-07 an update that timed out
/// (the replicator behind on a busy start) was logged once, and the shard stayed on another node until the next rebalance
/// (review). The allocation client here refuses its first updates as Akka's does when its replicator does not answer.
/// </summary>
public sealed class ShardAlignmentTests
{
    private static readonly Address Self = new("akka.tcp", "engine", "node-1", 4053);

    [Fact]
    public async Task A_move_that_timed_out_is_tried_again_until_it_lands()
    {
        var client = new RefusingClient(refusals: 2);
        var failures = new ConcurrentQueue<Exception>();
        using var stillAssigned = new CancellationTokenSource();

        var aligning = new ShardAlignment(client, Self).AssignedAsync([3], stillAssigned.Token, failures.Enqueue);
        await WaitUntil(() => client.Updates.Count == 3);
        stillAssigned.Cancel(); // it keeps checking while assigned: ended here
        await aligning.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(3, client.Updates.Count);
        Assert.Equal(2, failures.Count);
        Assert.All(client.Updates, update => Assert.Equal(Self, update[PartitionAlignedExtractor.ShardName(3)]));
    }

    [Fact]
    public async Task A_partition_no_longer_read_here_is_not_moved_again()
    {
        var client = new RefusingClient(refusals: int.MaxValue);
        using var stillAssigned = new CancellationTokenSource();

        var moving = new ShardAlignment(client, Self).AssignedAsync([3], stillAssigned.Token);
        await Task.Delay(300);
        stillAssigned.Cancel(); // the partition's stream ended during the wait before the second try
        await moving.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Single(client.Updates);
    }

    /// <summary>
    /// An earlier owner's update, given up on by its client but applied later by its replicator, can win over this node's
    /// (review, 2026-12-07): the shard stayed there until the next rebalance. A node checks while it reads the partition and
    /// moves the shard back; once the partition is revoked it leaves the location to the new owner.
    /// </summary>
    [Fact]
    public async Task A_shard_allocated_elsewhere_after_its_move_landed_is_moved_back_while_the_partition_is_read_here()
    {
        var client = new SharedLocations();
        var other = new Address("akka.tcp", "engine", "node-2", 4053);
        using var stillAssigned = new CancellationTokenSource();
        var movedBack = 0;
        var alignment = new ShardAlignment(client, Self) { RecheckEvery = TimeSpan.FromMilliseconds(50) };

        var aligning = alignment.AssignedAsync([3], stillAssigned.Token, movedBack: () => Interlocked.Increment(ref movedBack));
        await WaitUntil(() => client.At(3) == Self);
        await client.UpdateShardLocation(PartitionAlignedExtractor.ShardName(3), other); // the late update lands
        await WaitUntil(() => client.At(3) == Self);
        Assert.Equal(1, movedBack);

        stillAssigned.Cancel();
        await aligning.WaitAsync(TimeSpan.FromSeconds(5));
        await client.UpdateShardLocation(PartitionAlignedExtractor.ShardName(3), other); // the partition's new owner
        await Task.Delay(300);
        Assert.Equal(other, client.At(3));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not within 10 s");
            await Task.Delay(20);
        }
    }

    /// <summary>Locations as the replicator holds them: the last update wins.</summary>
    private sealed class SharedLocations : IExternalShardAllocationClient
    {
        private readonly ConcurrentDictionary<string, Address> _locations = new();

        public Address? At(int partition) => _locations.GetValueOrDefault(PartitionAlignedExtractor.ShardName(partition));

        public Task<Done> UpdateShardLocations(IImmutableDictionary<string, Address> locations)
        {
            foreach (var (shard, address) in locations) _locations[shard] = address;
            return Task.FromResult(Done.Instance);
        }

        public Task<Done> UpdateShardLocation(string shard, Address location) =>
            UpdateShardLocations(ImmutableDictionary<string, Address>.Empty.Add(shard, location));

        public Task<ShardLocations> ShardLocations() => Task.FromResult(new ShardLocations(
            _locations.ToImmutableDictionary(l => l.Key, l => new ExternalShardAllocationStrategy.ShardLocation(l.Value))));
    }

    private sealed class RefusingClient(int refusals) : IExternalShardAllocationClient
    {
        public ConcurrentQueue<IImmutableDictionary<string, Address>> Updates { get; } = new();

        public Task<Done> UpdateShardLocations(IImmutableDictionary<string, Address> locations)
        {
            Updates.Enqueue(locations);
            return Updates.Count <= refusals
                ? Task.FromException<Done>(new Akka.Cluster.Sharding.External.ClientTimeoutException("the replicator did not answer in time"))
                : Task.FromResult(Done.Instance);
        }

        public Task<Done> UpdateShardLocation(string shard, Address location) =>
            UpdateShardLocations(ImmutableDictionary<string, Address>.Empty.Add(shard, location));

        public Task<ShardLocations> ShardLocations() => throw new NotSupportedException();
    }
}
