using System.Text.Json.Serialization;

namespace Engine.Models.Contracts;

/// <summary>
/// A campaign as the advertiser booked it, on <see cref="Topics.Campaigns"/> (compacted, key = campaign id):
/// budget over a flight, and what a click and a conversion are worth to the advertiser.
/// </summary>
public sealed record CampaignSpec
{
    public required string CampaignId { get; init; }
    public required decimal Budget { get; init; }
    [JsonConverter(typeof(FlightTimeConverter))]
    public required DateTimeOffset FlightStart { get; init; }
    [JsonConverter(typeof(FlightTimeConverter))]
    public required DateTimeOffset FlightEnd { get; init; }
    /// <summary>The product category the campaign advertises; the bid model weighs the user's interest in it.</summary>
    public string? Category { get; init; }
    /// <summary>Value of a click to the advertiser (target CPC), in USD.</summary>
    public decimal ValuePerClick { get; init; }
    /// <summary>Value of a conversion (target CPA), in USD.</summary>
    public decimal ValuePerConversion { get; init; }
    public const decimal DefaultMaxCpm = 20m;
    private readonly decimal? _maxCpm;

    /// <summary>Highest CPM the engine may bid for this campaign, in USD; <see cref="DefaultMaxCpm"/> when the booking leaves it out.</summary>
    [JsonIgnore]
    public decimal MaxCpm { get => _maxCpm ?? DefaultMaxCpm; init => _maxCpm = value; }

    /// <summary><c>max_cpm</c> as on the wire (a twin: see <see cref="BidRequest.TmaxOnWire"/>; a booking without it capped every bid at 0).</summary>
    [JsonPropertyName("max_cpm"), System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public decimal? MaxCpmOnWire { get => _maxCpm; init => _maxCpm = value; }
}
