using System.Text.Json;

namespace Engine.Models.Contracts;

/// <summary>The outcome of decoding one record: the event, or the reason it goes to the dead-letter topic.</summary>
public readonly record struct Decoded(ClickEvent? Event, string? Error)
{
    public bool IsValid => Event is not null;
    public static Decoded Ok(ClickEvent evt) => new(evt, null);
    public static Decoded Fail(string reason) => new(null, reason);
}

/// <summary>Parses and validates clickstream records. Pure: no I/O, never throws on bad input.</summary>
public static class ClickEventCodec
{
    /// <summary>Larger records are refused before parsing: a clickstream event is a few hundred bytes.</summary>
    public const int MaxRecordBytes = 64 * 1024;

    private static readonly string KnownTypes = string.Join(", ",
        Enum.GetNames<EventType>().Select(JsonNamingPolicy.SnakeCaseLower.ConvertName));

    public static byte[] Encode(ClickEvent evt) => JsonSerializer.SerializeToUtf8Bytes(evt, EngineJson.Default.ClickEvent);

    /// <summary>Whether <paramref name="utf8"/> reads as one complete JSON document (the error path's check only).</summary>
    private static bool WellFormed(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        try
        {
            while (reader.Read())
            {
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public static Decoded Decode(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
            return Decoded.Fail("empty: the record has no value");
        if (utf8.Length > MaxRecordBytes)
            return Decoded.Fail($"oversized: {utf8.Length} bytes, the limit is {MaxRecordBytes}");
        ClickEvent? evt;
        try
        {
            evt = JsonSerializer.Deserialize(utf8, EngineJson.Default.ClickEvent);
        }
        catch (JsonException e) when (e.Path == "$.type" && WellFormed(utf8))
        {
            // The enum converter refuses names outside EventType: say so, rather than "malformed JSON". Only in well-formed JSON:
            // a record cut off inside its type's value fails at $.type too, and read as "unknown type" before 2026-12-07.
            return Decoded.Fail($"unknown type: $.type is not one of {KnownTypes}");
        }
        catch (JsonException e)
        {
            return Decoded.Fail($"malformed: {e.Message}");
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or FormatException or ArgumentException or OverflowException)
        {
            return Decoded.Fail($"malformed: {e.GetType().Name}: {e.Message}");
        }
        if (evt is null)
            return Decoded.Fail("malformed: the record is JSON null");
        try
        {
            var problem = ClickEventValidator.Problem(evt);
            return problem is null ? Decoded.Ok(evt) : Decoded.Fail(problem);
        }
        catch (Exception e)
        {
            // A shape no rule foresaw (a null where an object was due): refused, never thrown into the stream, where it would
            // fail the partition, and its restart replay the same record for ever.
            return Decoded.Fail($"invalid: the event could not be checked ({e.GetType().Name}: {e.Message})");
        }
    }
}
