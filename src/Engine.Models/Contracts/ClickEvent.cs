using System.Text.Json.Serialization;

namespace Engine.Models.Contracts;

/// <summary>
/// One clickstream event, as it arrives on <see cref="Topics.Clickstream"/> keyed by <see cref="UserId"/>.
/// Fields that do not apply to a type are null. See docs/contracts.md for an example of each type.
/// </summary>
public sealed record ClickEvent
{
    public const int CurrentSchemaVersion = 1;

    /// <summary>Required on the wire: a consumer must know which contract it reads.</summary>
    [JsonRequired]
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required string EventId { get; init; }
    /// <summary>When it happened at the source; every window follows this clock, not the engine's.</summary>
    [JsonConverter(typeof(EventTimeConverter))]
    public required DateTimeOffset EventTime { get; init; }
    [JsonConverter(typeof(RepeatedStringConverter))]
    public required string UserId { get; init; }
    [JsonConverter(typeof(SessionIdConverter))]
    public string? SessionId { get; init; }
    public required EventType Type { get; init; }
    [JsonConverter(typeof(RepeatedStringConverter))]
    public string? ItemId { get; init; }
    [JsonConverter(typeof(RepeatedStringConverter))]
    public string? Category { get; init; }
    public decimal? Price { get; init; }
    public int? Quantity { get; init; }
    [JsonConverter(typeof(RepeatedStringConverter))]
    public string? CampaignId { get; init; }
    public string? Query { get; init; }
    /// <summary>Present when <see cref="Type"/> is <see cref="EventType.BidRequest"/>.</summary>
    public BidRequest? BidRequest { get; init; }
    /// <summary>Segment fields (device, region, ...) used for fairness monitoring; free-form.</summary>
    [JsonConverter(typeof(RepeatedStringConverter))]
    public string? Device { get; init; }
    [JsonConverter(typeof(RepeatedStringConverter))]
    public string? Region { get; init; }
}
