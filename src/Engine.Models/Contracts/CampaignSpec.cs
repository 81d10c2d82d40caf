namespace Engine.Models.Contracts;

/// <summary>
/// A campaign as the advertiser booked it, on <see cref="Topics.Campaigns"/> (compacted, key = campaign id):
/// budget over a flight, and what a click and a conversion are worth to the advertiser.
/// </summary>
public sealed record CampaignSpec
{
    public required string CampaignId { get; init; }
    public required decimal Budget { get; init; }
    public required DateTimeOffset FlightStart { get; init; }
    public required DateTimeOffset FlightEnd { get; init; }
    /// <summary>The product category the campaign advertises; the bid model weighs the user's interest in it.</summary>
    public string? Category { get; init; }
    /// <summary>Value of a click to the advertiser (target CPC), in USD.</summary>
    public decimal ValuePerClick { get; init; }
    /// <summary>Value of a conversion (target CPA), in USD.</summary>
    public decimal ValuePerConversion { get; init; }
    /// <summary>Highest CPM the engine may bid for this campaign, in USD.</summary>
    public decimal MaxCpm { get; init; } = 20m;
}
