namespace Engine.Models.Contracts;

/// <summary>What a clickstream event records. Serialised in snake_case (<c>product_view</c>).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<EventType>))]
public enum EventType
{
    PageView,
    ProductView,
    Search,
    AddToCart,
    RemoveFromCart,
    Purchase,
    AdImpression,
    AdClick,
    BidRequest,
}
