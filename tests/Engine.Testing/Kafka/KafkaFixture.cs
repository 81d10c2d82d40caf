using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Engine.Host.Embedded;
using Testcontainers.Kafka;
using Xunit;

namespace Engine.Testing.Kafka;

/// <summary>
/// One Kafka for a test class: <c>ENGINE_TEST_KAFKA</c> if set, else a Testcontainers broker if a Docker engine
/// answers, else the embedded librdkafka mock cluster (3 brokers, real wire protocol). Fault injection
/// (brokers down/up) exists only on the embedded one: fault tests run on <see cref="ForFaultsAsync"/>.
/// </summary>
public sealed class KafkaFixture : IAsyncLifetime
{
    public const string EnvironmentVariable = "ENGINE_TEST_KAFKA";
    private readonly bool _embeddedOnly;
    private KafkaContainer? _container;
    private EmbeddedKafka? _embedded;
    private KafkaFixture? _forFaults;
    private readonly SemaphoreSlim _forFaultsGate = new(1, 1);

    public KafkaFixture() { }

    private KafkaFixture(bool embeddedOnly) => _embeddedOnly = embeddedOnly;

    public string BootstrapServers { get; private set; } = "";
    public KafkaKind Kind { get; private set; }

    /// <summary>
    /// The Kafka a test that injects broker faults runs on: this one when it is the embedded cluster, else an embedded
    /// cluster of its own (started at the first call), so the fault tests run whatever broker the others use. Before
    /// 2026-12-06 they were skipped wherever Docker answered.
    /// </summary>
    public async Task<KafkaFixture> ForFaultsAsync()
    {
        if (Kind == KafkaKind.Embedded) return this;
        await _forFaultsGate.WaitAsync();
        try
        {
            if (_forFaults is null)
            {
                var embedded = new KafkaFixture(embeddedOnly: true);
                await embedded.InitializeAsync();
                _forFaults = embedded;
            }
            return _forFaults;
        }
        finally
        {
            _forFaultsGate.Release();
        }
    }

    public async Task InitializeAsync()
    {
        if (!_embeddedOnly && Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } address)
        {
            (BootstrapServers, Kind) = (address, KafkaKind.External);
            return;
        }
        if (!_embeddedOnly && DockerProbe.Answers)
        {
            try
            {
                _container = new KafkaBuilder("confluentinc/cp-kafka:7.5.12").Build();
                await _container.StartAsync();
                (BootstrapServers, Kind) = (_container.GetBootstrapAddress(), KafkaKind.Testcontainers);
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Any Docker trouble: the embedded broker still gives a real-protocol test.
                Console.Error.WriteLine($"KafkaFixture: Testcontainers failed ({e.Message}); using the embedded broker");
                _container = null;
            }
        }
        _embedded = new EmbeddedKafka(brokers: 3);
        (BootstrapServers, Kind) = (_embedded.BootstrapServers, KafkaKind.Embedded);
    }

    /// <summary>A topic name no other test uses.</summary>
    public static string UniqueTopic(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public async Task CreateTopicAsync(string name, int partitions)
    {
        if (_embedded is not null)
        {
            _embedded.CreateTopic(name, partitions);
            return;
        }
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        try
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = partitions, ReplicationFactor = 1 }]);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
        }
    }

    /// <summary>Broker ids that can be taken down (embedded only).</summary>
    public IReadOnlyList<int> BrokerIds => Faults.BrokerIds;

    public void SetBrokerDown(int brokerId) => Faults.SetBrokerDown(brokerId);

    public void SetBrokerUp(int brokerId) => Faults.SetBrokerUp(brokerId);

    public void SetBrokerRoundTrip(int brokerId, TimeSpan rtt) => Faults.SetBrokerRoundTrip(brokerId, rtt);

    public void SetPartitionLeader(string topic, int partition, int brokerId) => Faults.SetPartitionLeader(topic, partition, brokerId);

    /// <summary>Makes <paramref name="brokerId"/> the coordinator of <paramref name="groupId"/> (embedded only).</summary>
    public void SetGroupCoordinator(string groupId, int brokerId) => Faults.SetGroupCoordinator(groupId, brokerId);

    /// <summary>The next requests of <paramref name="api"/> fail with <paramref name="errors"/> (embedded only).</summary>
    public void FailNextRequests(KafkaApi api, params ErrorCode[] errors) => Faults.FailNextRequests(api, errors);

    /// <summary>Every metadata answer for <paramref name="topic"/> carries <paramref name="error"/> (embedded only): producing to it fails.</summary>
    public void SetTopicError(string topic, ErrorCode error) => Faults.SetTopicError(topic, error);

    /// <summary>Records the brokers' requests from now on (embedded only); <see cref="CountRequests"/> counts them.</summary>
    public void StartRequestTracking() => Faults.StartRequestTracking();

    public int CountRequests(KafkaApi api) => Faults.CountRequests(api);

    private EmbeddedKafka Faults => _embedded ?? throw new InvalidOperationException(
        $"broker faults need the embedded Kafka, and this is {Kind}: run the test on {nameof(ForFaultsAsync)}()");

    public string Describe() => $"Kafka: {Kind} at {BootstrapServers}";

    public async Task DisposeAsync()
    {
        if (_forFaults is not null) await _forFaults.DisposeAsync();
        if (_embedded is not null) await _embedded.DisposeAsync();
        if (_container is not null) await _container.DisposeAsync();
    }
}
