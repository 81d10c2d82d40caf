using System.Text.Json.Serialization;

namespace Engine.Models.Contracts;

/// <summary>
/// A bid request shaped after OpenRTB 2.6: the exchange's request id, the impressions on offer with
/// their floors, the campaigns allowed to bid, and <c>tmax</c>, the milliseconds the exchange waits.
/// </summary>
public sealed record BidRequest
{
    public required string Id { get; init; }
    public required IReadOnlyList<Impression> Imp { get; init; }
    public required IReadOnlyList<string> CandidateCampaigns { get; init; }
    public int Tmax { get; init; } = 100;
}

/// <summary>An OpenRTB impression: <c>bidfloor</c> is CPM in <c>bidfloorcur</c>.</summary>
public sealed record Impression
{
    public required string Id { get; init; }
    [JsonPropertyName("bidfloor")]
    public decimal BidFloor { get; init; }
    [JsonPropertyName("bidfloorcur")]
    public string BidFloorCur { get; init; } = "USD";
    [JsonPropertyName("tagid")]
    public string? TagId { get; init; }
}
