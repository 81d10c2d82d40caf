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
    // Cut off inside (or just after) its type: malformed, not an unknown type (the fault test's truncated records, 2026-12-07).
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"prod""", "malformed")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"product_view""", "malformed")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":""", "malformed")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","type":"page_view"}""", "malformed")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"product_view"}""", "needs item_id")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"purchase","item_id":"i"}""", "needs item_id and price")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"ad_click"}""", "needs campaign_id")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"bid_request","bid_request":{"id":"r","imp":[],"candidate_campaigns":[]}}""", "imp is empty")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"bid_request","bid_request":{"id":"r","imp":[{"id":"1","bidfloor":1.5,"bidfloorcur":"EUR"}],"candidate_campaigns":[],"tmax":80}}""", "bidfloorcur must be USD")]
    // Shapes that got through before 2026-12-06: a null impression threw out of the codec (failing the stream, whose
    // restart replayed it for ever), a null candidate threw in the user actor, an empty campaign_id on a purchase was
    // forwarded to no campaign, a tab in a session id split the stored session, an event_time without offset was read
    // in the node's time zone, and prices overflowing a decimal threw when a campaign's spend was reported.
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"bid_request","bid_request":{"id":"r","imp":[null],"candidate_campaigns":[],"tmax":80}}""", "invalid: bid_request.imp[0] is null")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"bid_request","bid_request":{"id":"r","imp":[{"id":null}],"candidate_campaigns":[],"tmax":80}}""", "invalid: bid_request.imp[0].id is empty")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"bid_request","bid_request":{"id":"r","imp":[{"id":"1"}],"candidate_campaigns":["c-7",null],"tmax":80}}""", "invalid: bid_request.candidate_campaigns[1] is empty")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"bid_request","bid_request":{"id":"r","imp":[{"id":"1","bidfloor":1e20,"bidfloorcur":"USD"}],"candidate_campaigns":["c-7"],"tmax":80}}""", "invalid: bid_request.imp.bidfloor must be between")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"purchase","item_id":"i","price":3,"campaign_id":""}""", "invalid: campaign_id is empty")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"purchase","item_id":"i","price":1e28}""", "invalid: price must be between")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"purchase","item_id":"i","price":3,"quantity":2000000}""", "invalid: quantity must be between")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","session_id":"s\t1","type":"page_view"}""", "invalid: session_id contains a control character")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u\n2","type":"page_view"}""", "invalid: user_id contains a control character")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"product_view","item_id":"sku\t9"}""", "invalid: item_id contains a control character")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-11-29T10:00:03","user_id":"u","type":"page_view"}""", "malformed: event_time has no UTC offset")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":"2026-11-29","user_id":"u","type":"page_view"}""", "malformed: event_time has no UTC offset")]
    [InlineData("""{"schema_version":1,"event_id":"e","event_time":1764410403,"user_id":"u","type":"page_view"}""", "malformed: event_time must be an ISO-8601 string")]
    public void A_bad_record_is_refused_with_a_reason(string json, string reasonPart)
    {
        var decoded = ClickEventCodec.Decode(Encoding.UTF8.GetBytes(json));
        Assert.False(decoded.IsValid);
        Assert.Contains(reasonPart, decoded.Error);
    }

    [Theory]
    [InlineData("2026-11-29T10:00:03Z")]
    [InlineData("2026-11-29T10:00:03.124+00:00")]
    [InlineData("2026-11-29T05:00:03-05:00")]
    [InlineData("2026-11-29T10:00:03\\u002B00:00")] // escaped: read through the slower path, same rule
    public void An_event_time_with_its_offset_is_read_in_utc(string time)
    {
        var decoded = ClickEventCodec.Decode(Encoding.UTF8.GetBytes($$"""{"schema_version":1,"event_id":"e","event_time":"{{time}}","user_id":"u","type":"page_view"}"""));
        Assert.True(decoded.IsValid, decoded.Error);
        Assert.Equal(new DateTime(2026, 11, 29, 10, 0, 3), decoded.Event!.EventTime.UtcDateTime.AddTicks(-(decoded.Event.EventTime.UtcDateTime.Ticks % TimeSpan.TicksPerSecond)));
    }

    [Fact]
    public void An_impression_without_bidfloorcur_is_in_usd_as_openrtb_says()
    {
        var decoded = ClickEventCodec.Decode("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"bid_request","bid_request":{"id":"r","imp":[{"id":"1","bidfloor":0.5}],"candidate_campaigns":["c-7"],"tmax":80}}"""u8);
        Assert.True(decoded.IsValid, decoded.Error);
        Assert.Equal("USD", decoded.Event!.BidRequest!.Imp[0].BidFloorCur);
    }

    [Fact]
    public void Optional_fields_left_out_take_their_documented_defaults()
    {
        // tmax is optional in OpenRTB; the contract's default is 100 ms. max_cpm defaults to 20 USD.
        var decoded = ClickEventCodec.Decode("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","type":"bid_request","bid_request":{"id":"r","imp":[{"id":"1"}],"candidate_campaigns":["c-7"]}}"""u8);
        Assert.True(decoded.IsValid, decoded.Error);
        Assert.Equal(100, decoded.Event!.BidRequest!.Tmax);
        var spec = System.Text.Json.JsonSerializer.Deserialize("""{"campaign_id":"c-7","budget":240.0,"flight_start":"2026-11-29T00:00:00+00:00","flight_end":"2026-11-30T00:00:00+00:00","value_per_click":0.8}"""u8, EngineJson.Default.CampaignSpec)!;
        Assert.Equal(20m, spec.MaxCpm);
    }

    [Fact]
    public void An_empty_session_id_is_read_as_none()
    {
        // Stored as "", it read back as no session: the session's purchases were forgotten after a reload.
        var decoded = ClickEventCodec.Decode("""{"schema_version":1,"event_id":"e","event_time":"2026-01-01T00:00:00Z","user_id":"u","session_id":"","type":"page_view"}"""u8);
        Assert.True(decoded.IsValid, decoded.Error);
        Assert.Null(decoded.Event!.SessionId);
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
