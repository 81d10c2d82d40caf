using System.Text;
using Confluent.Kafka;
using Engine.Actors.Campaigns;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Actors.Tests.Pipeline;

public sealed class ForwardOriginTests
{
    [Fact]
    public void A_forward_names_its_clickstream_partition_and_offset_in_a_readable_header()
    {
        var arrived = new DateTime(2026, 12, 7, 10, 0, 0, 123, DateTimeKind.Utc);
        var headers = ForwardOrigin.Headers(new EventPosition(3, 9_000_000_041), arrived);
        Assert.Equal("3:9000000041", Encoding.ASCII.GetString(headers.GetLastBytes(ForwardOrigin.Header)));
        Assert.Equal(new EventPosition(3, 9_000_000_041), ForwardOrigin.Read(headers));
        Assert.Equal("1796637600123", Encoding.ASCII.GetString(headers.GetLastBytes(ForwardOrigin.ArrivedHeader)));
        Assert.Equal(arrived, ForwardOrigin.ReadArrival(headers));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-5")]
    [InlineData("17x")]
    [InlineData("99999999999999999")]
    public void A_forward_without_a_well_formed_arrival_has_none(string? value)
    {
        var headers = new Headers { { ForwardOrigin.Header, "3:41"u8.ToArray() } };
        if (value is not null) headers.Add(ForwardOrigin.ArrivedHeader, Encoding.ASCII.GetBytes(value));
        Assert.Null(ForwardOrigin.ReadArrival(headers));
    }

    /// <summary>Only a forwarder's arrival counts: a record another producer wrote with the header alone is not trusted.</summary>
    [Fact]
    public void An_arrival_without_an_origin_is_not_read()
    {
        var headers = new Headers { { ForwardOrigin.ArrivedHeader, "1796637600123"u8.ToArray() } };
        Assert.Null(ForwardOrigin.ReadArrival(headers));
        headers.Add(ForwardOrigin.Header, "3:41"u8.ToArray());
        Assert.NotNull(ForwardOrigin.ReadArrival(headers));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("3")]
    [InlineData(":41")]
    [InlineData("3:")]
    [InlineData("3:41x")]
    [InlineData("-1:41")]
    [InlineData("3:-41")]
    [InlineData("2147483647:5")] // beyond any real topic: its arrays by partition overflowed or took gigabytes (review, 2026-12-07)
    [InlineData("1024:5")]
    public void A_record_without_a_well_formed_origin_has_none(string? value)
    {
        var headers = new Headers();
        if (value is not null) headers.Add(ForwardOrigin.Header, Encoding.ASCII.GetBytes(value));
        Assert.Null(ForwardOrigin.Read(headers));
        Assert.Null(ForwardOrigin.Read(null));
    }

    /// <summary>
    /// Behind a user stream 30 minutes late, an impression that reached Kafka at T stamped T+40 min is forwarded at T+30 min.
    /// Its time is capped at T, its clickstream arrival, as on the user stream: before 2026-12-07 at the forward's T+30 min,
    /// which stepped the campaign's pacing clock half an hour ahead over spend not yet read (a review).
    /// </summary>
    [Fact]
    public void A_forward_read_behind_a_lagging_user_stream_caps_its_events_time_at_the_clickstream_arrival()
    {
        var arrived = new DateTime(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc);
        var forwarded = arrived.AddMinutes(30);
        var evt = new ClickEvent
        {
            EventId = "e-ahead", EventTime = new DateTimeOffset(arrived.AddMinutes(40)), UserId = "u", Type = EventType.AdImpression, CampaignId = "c-1", Price = 0.01m,
        };
        var value = ClickEventCodec.Encode(evt);
        var forward = new KafkaRecord(Topics.CampaignEvents, 0, 7, "c-1"u8.ToArray(), value, forwarded) { Headers = ForwardOrigin.Headers(new EventPosition(2, 41), arrived) };
        var record = new DecodedRecord(new CommittableMessage(forward, new CommittableOffset("g", Topics.CampaignEvents, 0, 7)), ClickEventCodec.Decode(value),
            forwarded.AddSeconds(1));

        var message = Assert.IsType<CampaignProtocol.RecordCampaignEvent>(EntityRoute.Campaigns.Message(evt, record, DateTimeOffset.UtcNow));

        Assert.Equal(new DateTimeOffset(arrived), message.Event.EventTime);
        Assert.Equal(new EventPosition(2, 41), message.Origin);
    }
}
