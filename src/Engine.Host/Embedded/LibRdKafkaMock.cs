using System.Reflection;
using System.Runtime.InteropServices;

namespace Engine.Host.Embedded;

/// <summary>
/// P/Invoke into the librdkafka that Confluent.Kafka ships, for its in-memory mock cluster (rdkafka_mock.h).
/// Only the development and test broker uses this; the mock API is experimental and outside librdkafka's ABI promise.
/// </summary>
internal static partial class LibRdKafkaMock
{
    private const string Lib = "librdkafka";
    // The plain librdkafka.so needs libsasl2, absent on Debian 12; the centos8 build is self-contained.
    private const string NativeFile = "centos8-librdkafka.so";

    static LibRdKafkaMock() => NativeLibrary.SetDllImportResolver(typeof(LibRdKafkaMock).Assembly, Resolve);

    /// <summary>Touching this runs the static constructor (the resolver must be set before the first call).</summary>
    public static void EnsureLoaded() { }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib) return IntPtr.Zero;
        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", NativeFile),
            Path.Combine(Path.GetDirectoryName(typeof(Confluent.Kafka.Library).Assembly.Location) ?? "", "runtimes", "linux-x64", "native", NativeFile),
        };
        foreach (var file in candidates)
            if (File.Exists(file)) return NativeLibrary.Load(file);
        throw new DllNotFoundException($"{NativeFile} not found under runtimes/linux-x64/native/ (looked in: {string.Join(", ", candidates)})");
    }

    public const int ProducerType = 0;

    [LibraryImport(Lib, EntryPoint = "rd_kafka_conf_new")]
    public static partial IntPtr ConfNew();

    [LibraryImport(Lib, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ConfSet(IntPtr conf, string name, string value, byte[] errstr, UIntPtr errstrSize);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_new")]
    public static partial IntPtr New(int type, IntPtr conf, byte[] errstr, UIntPtr errstrSize);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_destroy")]
    public static partial void Destroy(IntPtr rk);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_cluster_new")]
    public static partial IntPtr ClusterNew(IntPtr rk, int brokerCount);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    public static partial void ClusterDestroy(IntPtr mcluster);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    public static partial IntPtr ClusterBootstraps(IntPtr mcluster);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int TopicCreate(IntPtr mcluster, string topic, int partitions, int replicationFactor);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_partition_delete_records", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int PartitionDeleteRecords(IntPtr mcluster, string topic, int partition, long beforeOffset);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_broker_set_down")]
    public static partial int BrokerSetDown(IntPtr mcluster, int brokerId);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_broker_set_up")]
    public static partial int BrokerSetUp(IntPtr mcluster, int brokerId);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_partition_set_leader", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int PartitionSetLeader(IntPtr mcluster, string topic, int partition, int brokerId);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_coordinator_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int CoordinatorSet(IntPtr mcluster, string keyType, string key, int brokerId);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_topic_set_error", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void TopicSetError(IntPtr mcluster, string topic, int error);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_group_initial_rebalance_delay_ms")]
    public static partial int GroupInitialRebalanceDelayMs(IntPtr mcluster, int delayMs);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_push_request_errors_array")]
    public static partial void PushRequestErrors(IntPtr mcluster, short apiKey, nuint count, int[] errors);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_start_request_tracking")]
    public static partial void StartRequestTracking(IntPtr mcluster);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_get_requests")]
    public static partial IntPtr GetRequests(IntPtr mcluster, out nuint count);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_request_api_key")]
    public static partial short RequestApiKey(IntPtr request);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_request_destroy_array")]
    public static partial void RequestDestroyArray(IntPtr requests, nuint count);

    [LibraryImport(Lib, EntryPoint = "rd_kafka_err2str")]
    public static partial IntPtr ErrToString(int err);

    public static string ErrorText(int err) => Marshal.PtrToStringUTF8(ErrToString(err)) ?? $"error {err}";
}
