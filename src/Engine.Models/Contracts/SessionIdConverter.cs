using System.Text.Json;

namespace Engine.Models.Contracts;

/// <summary>
/// Session ids, cached in a table of their own: a session's id repeats for its few minutes and then never again, so in
/// the shared table the stream of new sessions kept evicting user and item ids, which were then decoded again as new
/// strings and stored as new keys in long-lived state (young objects a gen0 collection must find through cards;
/// docs/performance.md, round 8).
/// </summary>
public sealed class SessionIdConverter : RepeatedStringConverter
{
    private static readonly Entry?[] Sessions = new Entry?[Slots];

    public SessionIdConverter() : base(Sessions) { }

    /// <summary>An empty session id is read as none: stored, it would read back as no session, and the session's purchases be forgotten.</summary>
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && reader.ValueSpan.IsEmpty && !reader.HasValueSequence ? null : base.Read(ref reader, typeToConvert, options);
}
