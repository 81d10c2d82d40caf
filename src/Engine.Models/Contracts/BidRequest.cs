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
    public const int DefaultTmax = 100;
    private readonly int? _tmax;

    /// <summary>The milliseconds the exchange waits; <see cref="DefaultTmax"/> when the request leaves it out (optional in OpenRTB).</summary>
    [JsonIgnore]
    public int Tmax { get => _tmax ?? DefaultTmax; init => _tmax = value; }

    /// <summary>
    /// <c>tmax</c> as on the wire. A twin, because the source-generated reader sets every init-only property, absent ones
    /// to their type's default: a property initializer's 100 became 0 there (every request without tmax was refused).
    /// </summary>
    [JsonPropertyName("tmax"), System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public int? TmaxOnWire { get => _tmax; init => _tmax = value; }
}

/// <summary>An OpenRTB impression: <c>bidfloor</c> is CPM in <c>bidfloorcur</c>.</summary>
public sealed record Impression
{
    public required string Id { get; init; }
    [JsonPropertyName("bidfloor")]
    public decimal BidFloor { get; init; }
    private readonly string? _bidFloorCur;

    /// <summary>USD when left out, as OpenRTB says (a property initializer would be overwritten by the reader: see <see cref="BidRequest.TmaxOnWire"/>).</summary>
    [JsonPropertyName("bidfloorcur")]
    public string BidFloorCur { get => _bidFloorCur ?? "USD"; init => _bidFloorCur = value; }
    [JsonPropertyName("tagid")]
    public string? TagId { get; init; }
}
