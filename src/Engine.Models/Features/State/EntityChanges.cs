namespace Engine.Models.Features.State;

/// <summary>
/// What changed in an entity's state since the last drain, as absolute hash field values (setting them twice
/// is harmless) and fields to delete (buckets that left every window). The store writes them as they are.
/// Values are UTF-8 bytes in a <see cref="ValueArena"/> (shared by a whole batch when the drainer passes one).
/// </summary>
public sealed class EntityChanges(ValueArena values)
{
    private ValueArena _values = values;

    public EntityChanges() : this(new ValueArena()) { }

    public List<FieldValue> Set { get; } = new(8);
    public List<string> Delete { get; } = [];
    /// <summary>Whether the store should renew the key's TTL with this write (first write, then about once a day of event time).</summary>
    public bool RenewTtl { get; set; }
    /// <summary>Whether these changes are the entity's whole state: the store deletes the key first, then sets them (<see cref="EntityFeatureState.MarkAllChanged"/>).</summary>
    public bool Replace { get; set; }
    public bool IsEmpty => !Replace && Set.Count == 0 && Delete.Count == 0;

    /// <summary>Where a drain appends the next value's bytes; <see cref="Commit"/> then names its field.</summary>
    public ValueArena Values => _values;

    /// <summary>Sets <paramref name="field"/> to the bytes appended to <see cref="Values"/> since the last commit.</summary>
    public void Commit(string field) => Set.Add(new FieldValue(field, _values.End()));

    public void Add(string field, long value)
    {
        _values.Append(value);
        Commit(field);
    }

    public void Add(string field, double value)
    {
        _values.Append(value);
        Commit(field);
    }

    /// <summary>Empties these changes for reuse by another drain into <paramref name="values"/> (once nothing reads them any more).</summary>
    public void Reset(ValueArena values)
    {
        Set.Clear();
        Delete.Clear();
        RenewTtl = false;
        Replace = false;
        _values = values;
    }
}
