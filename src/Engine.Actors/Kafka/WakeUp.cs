namespace Engine.Actors.Kafka;

/// <summary>
/// Wakes a stage from another thread at most once per wait: the stage arms it before waiting, and only the first
/// <see cref="Signal"/> after that invokes its async callback (so a burst of completions costs one callback).
/// </summary>
internal sealed class WakeUp
{
    private Action? _callback;
    private int _armed;

    public void Attach(Action callback) => Volatile.Write(ref _callback, callback);

    /// <summary>Arm, then re-check your condition: a signal between the check and the arm would otherwise be lost.</summary>
    // A full fence: the caller's re-check must not be reordered before the arm (store-load reordering).
    public void Arm() => Interlocked.Exchange(ref _armed, 1);

    public void Signal()
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1) Volatile.Read(ref _callback)?.Invoke();
    }
}
