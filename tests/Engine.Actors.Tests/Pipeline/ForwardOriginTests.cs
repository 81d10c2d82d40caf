using System.Text;
using Confluent.Kafka;
using Engine.Actors.Pipeline;
using Engine.Models.Features;

namespace Engine.Actors.Tests.Pipeline;

public sealed class ForwardOriginTests
{
    [Fact]
    public void A_forward_names_its_clickstream_partition_and_offset_in_a_readable_header()
    {
        var headers = ForwardOrigin.Headers(new EventPosition(3, 9_000_000_041));
        Assert.Equal("3:9000000041", Encoding.ASCII.GetString(headers.GetLastBytes(ForwardOrigin.Header)));
        Assert.Equal(new EventPosition(3, 9_000_000_041), ForwardOrigin.Read(headers));
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
    public void A_record_without_a_well_formed_origin_has_none(string? value)
    {
        var headers = new Headers();
        if (value is not null) headers.Add(ForwardOrigin.Header, Encoding.ASCII.GetBytes(value));
        Assert.Null(ForwardOrigin.Read(headers));
        Assert.Null(ForwardOrigin.Read(null));
    }
}
