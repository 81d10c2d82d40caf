using System.Text.Json;
using System.Text.Json.Serialization;

namespace Engine.Models.Contracts;

/// <summary>Source-generated JSON for every contract: snake_case names, enums as snake_case strings (see SnakeCaseEnumConverter), nulls omitted.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = false,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ClickEvent))]
[JsonSerializable(typeof(Recommendation))]
[JsonSerializable(typeof(BidDecision))]
[JsonSerializable(typeof(BidAdjustment))]
[JsonSerializable(typeof(ChurnAlert))]
[JsonSerializable(typeof(DeadLetter))]
[JsonSerializable(typeof(CampaignSpec))]
[JsonSerializable(typeof(PrivacyRequest))]
[JsonSerializable(typeof(PrivacyAck))]
[JsonSerializable(typeof(Engine.Models.Experiments.ShadowScore))]
public sealed partial class EngineJson : JsonSerializerContext;
