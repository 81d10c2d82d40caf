using System.Text.Json;

namespace Engine.Models.Contracts;

/// <summary>The kinds of <see cref="PrivacyRequest"/>.</summary>
public static class PrivacyRequestTypes
{
    public const string Erase = "erase";
    public const string Consent = "consent";
}

/// <summary>
/// Control input on <see cref="Topics.Privacy"/>, key = user id: erase everything the engine keeps about a user, or record
/// what they consent to (both flags required).
/// </summary>
public sealed record PrivacyRequest
{
    public const int CurrentSchemaVersion = 1;
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    /// <summary><c>erase</c> or <c>consent</c>.</summary>
    public required string Type { get; init; }
    /// <summary>The requester's id for this request, echoed in the acknowledgement.</summary>
    public required string RequestId { get; init; }
    public required string UserId { get; init; }
    /// <summary>Consent only, required there: may the user's own behaviour shape their decisions (recommendations, churn alerts)?</summary>
    public bool? Personalisation { get; init; }
    /// <summary>Consent only, required there: may the engine bid on ad requests for this user?</summary>
    public bool? AdTargeting { get; init; }
    public DateTimeOffset? RequestedAt { get; init; }

    /// <summary>The request, or the reason it cannot be acted on.</summary>
    public static (PrivacyRequest? Request, string? Error) Decode(ReadOnlySpan<byte> json)
    {
        // A clickstream record's limit: no id longer than it has data here, and the request's id travels in the erasure's
        // message to the user's node and twice in its acknowledgement, which must stay under the remoting frame (128,000
        // bytes) and Kafka's message size (before 2026-12-07 a 600 KB id was retried for ever, holding up its partition).
        if (json.Length > ClickEventCodec.MaxRecordBytes) return (null, $"oversized: {json.Length} bytes, the limit is {ClickEventCodec.MaxRecordBytes}");
        PrivacyRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(json, EngineJson.Default.PrivacyRequest);
        }
        catch (JsonException e)
        {
            return (null, "malformed: " + e.Message);
        }
        if (request is null) return (null, "malformed: null");
        // Absent reads as 0 (the source-generated reader skips initialisers of a required-members type): taken as version 1.
        if (request.SchemaVersion > CurrentSchemaVersion) return (null, $"unsupported schema_version {request.SchemaVersion}");
        if (request.Type is not (PrivacyRequestTypes.Erase or PrivacyRequestTypes.Consent)) return (null, "unknown type (expected erase or consent)");
        if (string.IsNullOrWhiteSpace(request.UserId) || string.IsNullOrWhiteSpace(request.RequestId)) return (null, "user_id and request_id are required");
        // Both, each true or false: read as granted, an absent or misspelt flag ("personalization", "adTargeting") recorded an
        // opt-in, and acknowledged it, for a user who had opted out (before 2026-12-07).
        if (request.Type == PrivacyRequestTypes.Consent && (request.Personalisation is null || request.AdTargeting is null))
            return (null, "consent requires personalisation and ad_targeting, each true or false");
        return (request, null);
    }
}

/// <summary>
/// Output on <see cref="Topics.PrivacyAcks"/>, key = user id: the request was carried out on every store the engine keeps.
/// <see cref="Removed"/> names what an erasure deleted (features, consent, churn_due, actor_state).
/// </summary>
public sealed record PrivacyAck
{
    public const int CurrentSchemaVersion = 1;
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required string Type { get; init; }
    public required string RequestId { get; init; }
    public required string UserId { get; init; }
    public IReadOnlyList<string> Removed { get; init; } = [];
    public bool? Personalisation { get; init; }
    public bool? AdTargeting { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
}
