using Akka;
using Akka.Streams.Dsl;

namespace Engine.Actors.Kafka;

/// <summary>Flows writing to Kafka with an idempotent producer (acks=all), results in input order.</summary>
public static class KafkaProducer
{
    /// <summary>Writes each envelope's records; emits its result (with the pass-through) once all are acknowledged.</summary>
    public static Flow<IProducerEnvelope<TPass>, ProducerResult<TPass>, NotUsed> Flow<TPass>(KafkaProducerSettings settings) =>
        Akka.Streams.Dsl.Flow.FromGraph(new ProducerStage<TPass>(settings));

    /// <summary>
    /// The same with the pass-through as stream context (typically the input's offset): records in, deliveries out,
    /// the context kept alongside, so the offset reaches the committer only after its outputs are acknowledged.
    /// </summary>
    public static FlowWithContext<IReadOnlyList<ProducerRecord>, TCtx, IReadOnlyList<Delivered>, TCtx, NotUsed>
        FlowWithContext<TCtx>(KafkaProducerSettings settings) =>
        Akka.Streams.Dsl.FlowWithContext.From(
            Akka.Streams.Dsl.Flow.Create<(IReadOnlyList<ProducerRecord>, TCtx)>()
                .Select(t => (IProducerEnvelope<TCtx>)new MultiMessage<TCtx>(t.Item1, t.Item2))
                .Via(Flow<TCtx>(settings))
                .Select(r => (r.Deliveries, r.PassThrough)));
}
