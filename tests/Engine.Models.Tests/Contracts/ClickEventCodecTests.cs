using System.Text;
using Engine.Models.Contracts;

namespace Engine.Models.Tests.Contracts;

public class ClickEventCodecTests
{
    private static readonly ClickEvent View = new()
    {
        EventId = "e-1",
        EventTime = new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero),
        UserId = "u-42",
        SessionId = "s-7",
        Type = EventType.ProductView,
        ItemId = "sku-9",
        Category = "shoes",
    };

    [Fact]
    public void An_event_survives_a_round_trip_in_snake_case()
    {
        var bytes = ClickEventCodec.Encode(View);
        var json = Encoding.UTF8.GetString(bytes);
        Assert.Contains("\"type\":\"product_view\"", json);
        Assert.Contains("\"event_time\":\"2026-11-29T10:00:00+00:00\"", json);
        Assert.DoesNotContain("\"query\"", json);
        Assert.Equal(View, ClickEventCodec.Decode(bytes).Event);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("{not json", "malformed")]
    [InlineData("null", "malformed")]
    [InlineData("""{"schema_version":2,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"page_view"}""", "wrong schema")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"teleport"}""", "unknown type: $.type is not one of page_view")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":3}""", "unknown type")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","type":"page_view"}""", "malformed")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"product_view"}""", "needs item_id")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"purchase","item_id":"i"}""", "needs item_id and price")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"ad_click"}""", "needs campaign_id")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"bid_request","bid_request":{"id":"r","imp":[],"candidate_campaigns":[]}}""", "imp is empty")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"bid_request","bid_request":{"id":"r","imp":[{"id":"1","bidfloor":1.5,"bidfloorcur":"EUR"}],"candidate_campaigns":[],"tmax":80}}""", "bidfloorcur must be USD")]
    public void A_bad_record_is_refused_with_a_reason(string json, string reasonPart)
    {
        var decoded = ClickEventCodec.Decode(Encoding.UTF8.GetBytes(json));
        Assert.False(decoded.IsValid);
        Assert.Contains(reasonPart, decoded.Error);
    }

    [Fact]
    public void A_record_without_schema_version_is_refused()
    {
        var decoded = ClickEventCodec.Decode("""{"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"page_view"}"""u8);
        Assert.Contains("schema_version", decoded.Error);
    }

    [Fact]
    public void An_oversized_record_is_refused_before_parsing()
    {
        var decoded = ClickEventCodec.Decode(new byte[ClickEventCodec.MaxRecordBytes + 1]);
        Assert.StartsWith("oversized", decoded.Error);
    }

    [Fact]
    public void Decision_ids_depend_only_on_kind_and_cause()
    {
        Assert.Equal(DecisionIds.Derive("rec", "e-1"), DecisionIds.Derive("rec", "e-1"));
        Assert.NotEqual(DecisionIds.Derive("rec", "e-1"), DecisionIds.Derive("churn", "e-1"));
        Assert.NotEqual(DecisionIds.Derive("rec", "a", "b"), DecisionIds.Derive("rec", "ab"));
        Assert.Equal(32, DecisionIds.Derive("rec", "e-1").Length);
    }
}
