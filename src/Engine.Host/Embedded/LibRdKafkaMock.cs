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

    static LibRdKafkaMock() => NativeLibrary.SetDllImportResolver(typeof(LibRdKafkaMock).Assembly, Resolve);

    /// <summary>Touching this runs the static constructor (the resolver must be set before the first call).</summary>
    public static void EnsureLoaded() { }

    /// <summary>
    /// The librdkafka builds Confluent.Kafka ships for a runtime identifier, in the order to try, relative to the directory
    /// holding <c>runtimes/</c>. On glibc x64 the centos8 build comes first: the plain <c>librdkafka.so</c> needs libsasl2,
    /// absent on Debian 12. Before 2026-12-07 only that one file was tried, so the embedded Kafka failed on macOS and arm64.
    /// </summary>
    internal static IReadOnlyList<string> NativeFiles(string runtimeIdentifier) => runtimeIdentifier switch
    {
        "linux-x64" => [Native("linux-x64", "centos8-librdkafka.so"), Native("linux-x64", "librdkafka.so")],
        "linux-musl-x64" => [Native("linux-x64", "alpine-librdkafka.so")],
        "linux-arm64" => [Native("linux-arm64", "librdkafka.so")],
        "linux-musl-arm64" => [Native("linux-arm64", "alpine-librdkafka.so")],
        "osx-arm64" or "osx-x64" => [Native(runtimeIdentifier, "librdkafka.dylib")],
        "win-x64" => [Native("win-x64", "librdkafka.dll")],
        _ => [],
    };

    private static string Native(string runtime, string file) => Path.Combine("runtimes", runtime, "native", file);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib) return IntPtr.Zero;
        var runtime = RuntimeInformation.RuntimeIdentifier;
        var roots = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(Confluent.Kafka.Library).Assembly.Location) ?? "" };
        var tried = new List<string>();
        foreach (var root in roots)
        foreach (var file in NativeFiles(runtime).Select(f => Path.Combine(root, f)))
        {
            if (!File.Exists(file)) continue;
            if (NativeLibrary.TryLoad(file, out var handle)) return handle;
            tried.Add(file + " (would not load)");
        }
        throw new DllNotFoundException($"no librdkafka build for {runtime} loaded from runtimes/*/native/ under {string.Join(" or ", roots.Distinct())}" +
                                       (tried.Count > 0 ? $" (tried {string.Join(", ", tried)})" : ""));
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

    [LibraryImport(Lib, EntryPoint = "rd_kafka_mock_broker_set_rtt")]
    public static partial int BrokerSetRtt(IntPtr mcluster, int brokerId, int rttMs);

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
