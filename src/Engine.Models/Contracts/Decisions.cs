namespace Engine.Models.Contracts;

/// <summary>One factor behind a decision: the feature, its value, and how much it pushed the score.</summary>
public sealed record Reason(string Factor, double Value, double Contribution);

/// <summary>What every decision carries, so a consumer can deduplicate and a marketer can see why.</summary>
public interface IDecision
{
    int SchemaVersion { get; }
    /// <summary>Derived deterministically from what caused it (<see cref="DecisionIds"/>): a replay re-emits the same id.</summary>
    string DecisionId { get; }
    /// <summary>The event id (or timer tick id) that caused this decision.</summary>
    string CausedBy { get; }
    DateTimeOffset DecidedAt { get; }
    string ModelVersion { get; }
    IReadOnlyList<Reason> Reasons { get; }
    /// <summary>Experiment variant that produced it, or null outside experiments.</summary>
    string? Variant { get; }
}

/// <summary>A recommended item with its score and why it was a candidate (e.g. <c>co_visited</c>, <c>popular_in_category</c>).</summary>
public sealed record RecommendedItem(string ItemId, double Score, string Reason);

/// <summary>Storefront output on <see cref="Topics.Recommendations"/>, key = user id.</summary>
public sealed record Recommendation : IDecision
{
    public const int CurrentSchemaVersion = 1;
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required string DecisionId { get; init; }
    public required string CausedBy { get; init; }
    public required DateTimeOffset DecidedAt { get; init; }
    public required string ModelVersion { get; init; }
    public required IReadOnlyList<Reason> Reasons { get; init; }
    public string? Variant { get; init; }
    public required string UserId { get; init; }
    public string? SessionId { get; init; }
    public required IReadOnlyList<RecommendedItem> Items { get; init; }
}

/// <summary>Ad exchange output on <see cref="Topics.BidDecisions"/>, key = bid request id: a bid, or a no-bid with its reason.</summary>
public sealed record BidDecision : IDecision
{
    public const int CurrentSchemaVersion = 1;
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required string DecisionId { get; init; }
    public required string CausedBy { get; init; }
    public required DateTimeOffset DecidedAt { get; init; }
    public required string ModelVersion { get; init; }
    public required IReadOnlyList<Reason> Reasons { get; init; }
    public string? Variant { get; init; }
    public required string RequestId { get; init; }
    public required string UserId { get; init; }
    public required bool Bid { get; init; }
    public string? ImpId { get; init; }
    public string? CampaignId { get; init; }
    /// <summary>CPM price in <see cref="Currency"/> when <see cref="Bid"/> is true.</summary>
    public decimal? Price { get; init; }
    public string Currency { get; init; } = "USD";
    public double? PredictedCtr { get; init; }
    public double? PredictedCvr { get; init; }
    /// <summary>OpenRTB 2.6 no-bid reason code (<c>nbr</c>) when <see cref="Bid"/> is false.</summary>
    public NoBidReason? Nbr { get; init; }
}

/// <summary>OpenRTB 2.6 no-bid reason codes used by the engine.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<NoBidReason>))]
public enum NoBidReason
{
    UnknownError = 0,
    TechnicalError = 1,
    InvalidRequest = 2,
    InsufficientAuctionTime = 9,
    BelowFloor = 100,
    NoEligibleCampaign = 101,
    BudgetExhausted = 102,
    NoConsent = 103,
    /// <summary>No candidate campaign's flight covers the request (not started yet, or ended): not a spent budget.</summary>
    OutsideFlight = 104,
}

/// <summary>Ad exchange output on <see cref="Topics.BidAdjustments"/>, key = campaign id: the campaign's new bid multiplier.</summary>
public sealed record BidAdjustment : IDecision
{
    public const int CurrentSchemaVersion = 1;
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required string DecisionId { get; init; }
    public required string CausedBy { get; init; }
    public required DateTimeOffset DecidedAt { get; init; }
    public required string ModelVersion { get; init; }
    public required IReadOnlyList<Reason> Reasons { get; init; }
    public string? Variant { get; init; }
    public required string CampaignId { get; init; }
    public required double Multiplier { get; init; }
    public required double PreviousMultiplier { get; init; }
    /// <summary>What the campaign spent in the last hour of event time, and what its plan spends per hour (the budget left over the flight's time left, as of that hour's start), in USD.</summary>
    public decimal SpendLastHour { get; init; }
    public decimal PlannedSpendPerHour { get; init; }
    /// <summary>Live (1 h) and reference (24 h) smoothed click-through rates the controller weighed.</summary>
    public double CtrLastHour { get; init; }
    [System.Text.Json.Serialization.JsonPropertyName("ctr_24h")]
    public double Ctr24h { get; init; }
    /// <summary>Delivery over the last 24 h of event time: what bidders on every node read into the bid model.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("impressions_24h")]
    public double Impressions24h { get; init; }
    [System.Text.Json.Serialization.JsonPropertyName("clicks_24h")]
    public double Clicks24h { get; init; }
    [System.Text.Json.Serialization.JsonPropertyName("cvr_24h")]
    public double Cvr24h { get; init; }
    /// <summary>What the campaign has spent over its whole flight so far, in USD.</summary>
    public decimal SpentTotal { get; init; }
    /// <summary>True once the spend reached the budget: the campaign gets no more bids (multiplier 0).</summary>
    public bool BudgetExhausted { get; init; }
}

/// <summary>CRM output on <see cref="Topics.ChurnAlerts"/>, key = user id: one per churn episode.</summary>
public sealed record ChurnAlert : IDecision
{
    public const int CurrentSchemaVersion = 1;
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required string DecisionId { get; init; }
    public required string CausedBy { get; init; }
    public required DateTimeOffset DecidedAt { get; init; }
    public required string ModelVersion { get; init; }
    public required IReadOnlyList<Reason> Reasons { get; init; }
    public string? Variant { get; init; }
    public required string UserId { get; init; }
    public required double Probability { get; init; }
    public required double Threshold { get; init; }
    public DateTimeOffset? LastEventAt { get; init; }
}

/// <summary>An input that could not be accepted, on <see cref="Topics.DeadLetters"/>, with where it came from and why.</summary>
public sealed record DeadLetter
{
    public required string Reason { get; init; }
    public required string SourceTopic { get; init; }
    public required int Partition { get; init; }
    public required long Offset { get; init; }
    public string? Key { get; init; }
    /// <summary>The original bytes, base64, so nothing is lost even when they are not UTF-8 (only their first 512 KiB when <see cref="PayloadTruncated"/>).</summary>
    public required string PayloadBase64 { get; init; }
    public required DateTimeOffset DeadLetteredAt { get; init; }
    /// <summary>True when the payload (or the key) was cut to fit a Kafka record; the whole record stays at <see cref="Offset"/> of the source topic. Absent otherwise.</summary>
    public bool? PayloadTruncated { get; init; }
    /// <summary>The original payload's length in bytes, when it was truncated.</summary>
    public int? PayloadBytes { get; init; }
}
