using System.Text;

namespace Engine.Models.Features.State;

/// <summary>One hash field and its value as the UTF-8 bytes Redis stores (no string per value on the flush path).</summary>
public readonly struct FieldValue : IEquatable<FieldValue>
{
    public FieldValue(string field, ReadOnlyMemory<byte> value) => (Field, Value) = (field, value);

    public FieldValue(string field, string value) : this(field, Encoding.UTF8.GetBytes(value)) { }

    public string Field { get; }
    public ReadOnlyMemory<byte> Value { get; }
    public string Text => Encoding.UTF8.GetString(Value.Span);

    public void Deconstruct(out string field, out string value) => (field, value) = (Field, Text);

    public bool Equals(FieldValue other) => string.Equals(Field, other.Field, StringComparison.Ordinal) && Value.Span.SequenceEqual(other.Value.Span);
    public override bool Equals(object? obj) => obj is FieldValue other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(Field, Value.Length);
    public static bool operator ==(FieldValue left, FieldValue right) => left.Equals(right);
    public static bool operator !=(FieldValue left, FieldValue right) => !left.Equals(right);
    public override string ToString() => $"{Field}={Text}";
}
