namespace Engine.Actors.Kafka;

/// <summary>Offsets are committed in batches: after <paramref name="MaxBatch"/> offsets or <paramref name="MaxInterval"/>, whichever first.</summary>
public sealed record CommitterSettings(int MaxBatch = 1_000, TimeSpan? MaxInterval = null)
{
    public TimeSpan EffectiveMaxInterval => MaxInterval ?? TimeSpan.FromMilliseconds(200);
}
