namespace Engine.Models.Contracts;

/// <summary>Default topic names; each can be overridden in configuration (section <c>Kafka:Topics</c>).</summary>
public static class Topics
{
    /// <summary>Input: every clickstream event, key = user id.</summary>
    public const string Clickstream = "engine.clickstream";
    /// <summary>Input events that could not be accepted, with the reason; key = original key.</summary>
    public const string DeadLetters = "engine.clickstream.dlq";
    /// <summary>Campaign-relevant events re-keyed by campaign id, consumed by the campaign actors.</summary>
    public const string CampaignEvents = "engine.campaign-events";
    /// <summary>Input, compacted: campaign specs (budget, flight, values), key = campaign id.</summary>
    public const string Campaigns = "engine.campaigns";
    /// <summary>Output for the storefront: key = user id.</summary>
    public const string Recommendations = "engine.recommendations";
    /// <summary>Output for the ad exchange: key = bid request id.</summary>
    public const string BidDecisions = "engine.bid-decisions";
    /// <summary>Output for the ad exchange: key = campaign id.</summary>
    public const string BidAdjustments = "engine.bid-adjustments";
    /// <summary>Output for the CRM: key = user id.</summary>
    public const string ChurnAlerts = "engine.churn-alerts";

    /// <summary>Control input: erasure and consent requests (docs/privacy.md), key = user id.</summary>
    public const string Privacy = "engine.privacy";
    /// <summary>Output for the requester: one acknowledgement per privacy request carried out, key = user id.</summary>
    public const string PrivacyAcks = "engine.privacy-acks";

    /// <summary>What shadow challengers would have decided (scored and logged, never acted on), key = user id.</summary>
    public const string ShadowScores = "engine.shadow-scores";

    public static IReadOnlyList<string> All { get; } =
        [Clickstream, DeadLetters, Campaigns, CampaignEvents, Recommendations, BidDecisions, BidAdjustments, ChurnAlerts, Privacy, PrivacyAcks, ShadowScores];
}
