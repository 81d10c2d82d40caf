using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Engine.Host.Embedded;

/// <summary>
/// The development and test Kafka broker: librdkafka's in-memory mock cluster, started in this process and
/// reachable over the real Kafka wire protocol on localhost. Production never uses it: it points at Apache Kafka
/// by configuration alone (<c>Kafka__BootstrapServers</c>).
/// Limits of the mock: it keeps about 5 MB per partition (consume long streams while producing them), each
/// consumer-group rebalance takes seconds, and the Admin API (CreateTopics) is not supported (use <see cref="CreateTopic"/>).
/// </summary>
public sealed class EmbeddedKafka : IDisposable, IAsyncDisposable
{
    private readonly IntPtr _handle;
    private IntPtr _cluster;

    /// <summary>Starts a mock cluster of <paramref name="brokers"/> brokers (ids 1..brokers).</summary>
    public EmbeddedKafka(int brokers = 1, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        LibRdKafkaMock.EnsureLoaded();
        var err = new byte[512];
        IntPtr conf;
        try
        {
            conf = LibRdKafkaMock.ConfNew();
        }
        catch (DllNotFoundException e)
        {
            throw new Configuration.ConfigurationError([
                $"the embedded Kafka (librdkafka's mock cluster) cannot run here: {e.Message}; give a broker instead (--kafka host:port, or Kafka:BootstrapServers)"]);
        }
        // The handle only hosts the mock cluster; it never connects, so keep its (bootstrap-less) warnings quiet.
        LibRdKafkaMock.ConfSet(conf, "log_level", "2", err, (UIntPtr)err.Length);
        _handle = LibRdKafkaMock.New(LibRdKafkaMock.ProducerType, conf, err, (UIntPtr)err.Length);
        if (_handle == IntPtr.Zero)
            throw new InvalidOperationException("embedded Kafka (development and test broker): rd_kafka_new failed: " + Text(err));
        _cluster = LibRdKafkaMock.ClusterNew(_handle, brokers);
        if (_cluster == IntPtr.Zero)
        {
            LibRdKafkaMock.Destroy(_handle);
            throw new InvalidOperationException("embedded Kafka (development and test broker): rd_kafka_mock_cluster_new failed");
        }
        // Without this every first join of a consumer group waits ~3 s for more members.
        LibRdKafkaMock.GroupInitialRebalanceDelayMs(_cluster, 0);
        BootstrapServers = Marshal.PtrToStringUTF8(LibRdKafkaMock.ClusterBootstraps(_cluster)) ?? "";
        BrokerIds = Enumerable.Range(1, brokers).ToArray();
        (logger ?? NullLogger.Instance).LogInformation(
            "Embedded Kafka (development and test broker, librdkafka mock cluster) with {Brokers} broker(s) at {BootstrapServers}",
            brokers, BootstrapServers);
    }

    /// <summary>Comma-separated <c>host:port</c> list of the mock brokers.</summary>
    public string BootstrapServers { get; }

    public IReadOnlyList<int> BrokerIds { get; }

    /// <summary>Creates a topic (replication = min(3, brokers)); creating an existing topic is not an error.</summary>
    public void CreateTopic(string name, int partitions)
    {
        var rc = LibRdKafkaMock.TopicCreate(Cluster, name, partitions, Math.Min(3, BrokerIds.Count));
        // 36 = TOPIC_ALREADY_EXISTS
        if (rc != 0 && rc != 36)
            throw new InvalidOperationException($"embedded Kafka: creating topic {name}: {LibRdKafkaMock.ErrorText(rc)}");
    }

    public void CreateTopics(IEnumerable<string> names, int partitions)
    {
        foreach (var name in names) CreateTopic(name, partitions);
    }

    /// <summary>
    /// Deletes the records of a partition before <paramref name="offset"/> (its log start moves there), as Kafka's
    /// DeleteRecords does; the message set holding the offset stays whole.
    /// </summary>
    public void DeleteRecordsBefore(string topic, int partition, long offset) =>
        Check(LibRdKafkaMock.PartitionDeleteRecords(Cluster, topic, partition, offset), $"deleting records of {topic} [{partition}] before {offset}");

    /// <summary>Disconnects the broker and refuses new connections (no leader change): a fault for tests.</summary>
    public void SetBrokerDown(int brokerId) => Check(LibRdKafkaMock.BrokerSetDown(Cluster, brokerId), "broker down");

    public void SetBrokerUp(int brokerId) => Check(LibRdKafkaMock.BrokerSetUp(Cluster, brokerId), "broker up");

    /// <summary>Delays every answer of <paramref name="brokerId"/> by <paramref name="rtt"/> (zero: none), as a slow or distant broker.</summary>
    public void SetBrokerRoundTrip(int brokerId, TimeSpan rtt) =>
        Check(LibRdKafkaMock.BrokerSetRtt(Cluster, brokerId, (int)rtt.TotalMilliseconds), "broker round trip");

    /// <summary>Makes <paramref name="brokerId"/> the partition's leader; -1 leaves it without one (a fault for tests).</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId) =>
        Check(LibRdKafkaMock.PartitionSetLeader(Cluster, topic, partition, brokerId), $"leader of {topic} [{partition}]");

    /// <summary>Makes <paramref name="brokerId"/> the coordinator of consumer group <paramref name="groupId"/> (a fault for tests: take it down alone).</summary>
    public void SetGroupCoordinator(string groupId, int brokerId) =>
        Check(LibRdKafkaMock.CoordinatorSet(Cluster, "group", groupId, brokerId), $"coordinator of group {groupId}");

    /// <summary>
    /// The brokers answer every metadata request for <paramref name="topic"/> with <paramref name="error"/> (NoError clears it),
    /// so producing to it fails (e.g. <see cref="Confluent.Kafka.ErrorCode.TopicAuthorizationFailed"/>, as an ACL would): a
    /// fault for tests.
    /// </summary>
    public void SetTopicError(string topic, Confluent.Kafka.ErrorCode error) => LibRdKafkaMock.TopicSetError(Cluster, topic, (int)error);

    /// <summary>
    /// The next requests of Kafka API <paramref name="apiKey"/> (from any client) fail with <paramref name="errors"/>, one
    /// each, in order: a fault for tests (e.g. <see cref="KafkaApi.OffsetCommit"/> with a rebalance in progress).
    /// </summary>
    public void FailNextRequests(KafkaApi apiKey, params Confluent.Kafka.ErrorCode[] errors) =>
        LibRdKafkaMock.PushRequestErrors(Cluster, (short)apiKey, (nuint)errors.Length, [.. errors.Select(e => (int)e)]);

    /// <summary>Starts recording every request the brokers receive (from now on: earlier ones are forgotten), for tests.</summary>
    public void StartRequestTracking() => LibRdKafkaMock.StartRequestTracking(Cluster);

    /// <summary>How many requests of <paramref name="apiKey"/> the brokers received since <see cref="StartRequestTracking"/>.</summary>
    public int CountRequests(KafkaApi apiKey)
    {
        var requests = LibRdKafkaMock.GetRequests(Cluster, out var count);
        if (requests == IntPtr.Zero) return 0;
        try
        {
            var matching = 0;
            for (nuint i = 0; i < count; i++)
                if (LibRdKafkaMock.RequestApiKey(Marshal.ReadIntPtr(requests, (int)i * IntPtr.Size)) == (short)apiKey) matching++;
            return matching;
        }
        finally
        {
            LibRdKafkaMock.RequestDestroyArray(requests, count);
        }
    }

    private IntPtr Cluster => _cluster != IntPtr.Zero ? _cluster : throw new ObjectDisposedException(nameof(EmbeddedKafka));

    private static void Check(int rc, string what)
    {
        if (rc != 0) throw new InvalidOperationException($"embedded Kafka: {what}: {LibRdKafkaMock.ErrorText(rc)}");
    }

    private static string Text(byte[] err) => Encoding.UTF8.GetString(err).TrimEnd('\0');

    public void Dispose()
    {
        if (_cluster == IntPtr.Zero) return;
        LibRdKafkaMock.ClusterDestroy(_cluster);
        _cluster = IntPtr.Zero;
        LibRdKafkaMock.Destroy(_handle);
    }

    // Destroying the cluster joins its broker thread; keep that off the caller's thread.
    public ValueTask DisposeAsync() => new(Task.Run(Dispose));
}

