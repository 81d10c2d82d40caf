using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Engine.Models.Contracts;
using Engine.Models.Experiments;

namespace Engine.Host.Node;

/// <summary>
/// Shadow challengers' scores to their own topic (<see cref="Topics.ShadowScores"/>, key = user id), apart from the decision
/// topics so no consumer of decisions can act on them. Fire and forget: a lost shadow score costs a sample, never a decision.
/// Owns its producer (one of its own: <see cref="EngineNode"/>).
/// </summary>
public sealed class KafkaShadowLog(IProducer<byte[], byte[]> producer, string topic = Topics.ShadowScores) : IShadowLog, IDisposable
{
    private long _logged;

    /// <summary>Shadow scores handed to the producer since the node started.</summary>
    public long Logged => Interlocked.Read(ref _logged);

    /// <summary>Sends what is queued (within <paramref name="timeout"/>), then closes the producer.</summary>
    public void Close(TimeSpan timeout)
    {
        producer.Flush(timeout);
        producer.Dispose();
    }

    public void Dispose() => producer.Dispose();

    public void Record(ShadowScore score)
    {
        var value = JsonSerializer.SerializeToUtf8Bytes(score, EngineJson.Default.ShadowScore);
        try
        {
            producer.Produce(topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(score.UserId), Value = value });
            Interlocked.Increment(ref _logged);
        }
        catch (ProduceException<byte[], byte[]>)
        {
            // The local queue is full: drop the sample rather than block the user's actor.
        }
        catch (ObjectDisposedException)
        {
            // Closed by a stop whose drain timed out while actors still decide: a sample, not the actor's event, is lost.
        }
    }
}
