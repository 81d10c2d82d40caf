using Confluent.Kafka;

namespace Engine.Actors.Kafka;

/// <summary>
/// An admin client whose metadata request reports a broker's refusal of the client's login as such. librdkafka's metadata
/// request waits for a usable broker and, when none becomes one, fails with <c>Local_Transport</c>; a broker that refuses
/// the login (a wrong SASL password, a certificate that fails verification, SASL asked of a broker that offers none) is
/// never usable, and the refusal reaches only the error callback. Read as "Kafka did not answer", start-up exited 3 and a
/// supervisor restarted the node for ever; it is a setting to fix.
/// </summary>
public sealed class WatchedAdminClient : IDisposable
{
    private volatile Error? _refusal;

    public WatchedAdminClient(AdminClientConfig config) =>
        Client = new AdminClientBuilder(config).SetErrorHandler((_, error) =>
        {
            if (IsLoginRefusal(error)) _refusal = error;
        }).Build();

    public IAdminClient Client { get; }

    /// <exception cref="KafkaException">No broker answered; with the refusal's code and reason when one refused the login.</exception>
    public Metadata GetMetadata(TimeSpan timeout)
    {
        try
        {
            return Client.GetMetadata(timeout);
        }
        catch (KafkaException e) when (_refusal is { } refusal && e.Error.Code is ErrorCode.Local_Transport or ErrorCode.Local_TimedOut or ErrorCode.Local_AllBrokersDown)
        {
            throw new KafkaException(refusal);
        }
    }

    /// <summary>A refusal no retry changes: the credentials, or the TLS trust, are wrong.</summary>
    public static bool IsLoginRefusal(Error error) =>
        error.Code is ErrorCode.Local_Authentication or ErrorCode.SaslAuthenticationFailed
        || (error.Code == ErrorCode.Local_Ssl && error.Reason.Contains("certificate verify failed", StringComparison.OrdinalIgnoreCase));

    public void Dispose() => Client.Dispose();
}
