using System.Text;
using Engine.Models.Contracts;

namespace Engine.Models.Tests.Contracts;

public class RepeatedStringConverterTests
{
    private static ClickEvent Decode(string json) => ClickEventCodec.Decode(Encoding.UTF8.GetBytes(json)).Event!;

    private static string View(string eventId, string userId, string item, string session = "s-1") =>
        $$"""{"schema_version":1,"event_id":"{{eventId}}","event_time":"2026-11-29T10:00:00+00:00","user_id":"{{userId}}","session_id":"{{session}}","type":"product_view","item_id":"{{item}}","category":"shoes","device":"mobile","region":"eu"}""";

    [Fact]
    public void Ids_that_repeat_decode_to_the_instance_decoded_before()
    {
        var first = Decode(View("e-1", "u-repeat-1", "sku-repeat-1"));
        var second = Decode(View("e-2", "u-repeat-1", "sku-repeat-1"));
        Assert.Same(first.UserId, second.UserId);
        Assert.Same(first.ItemId, second.ItemId);
        Assert.Same(first.Category, second.Category);
        Assert.Same(first.SessionId, second.SessionId);
        Assert.NotSame(first.EventId, second.EventId); // unique per event: not cached
    }

    [Fact]
    public void A_stream_of_new_sessions_does_not_evict_the_user_and_item_ids()
    {
        var before = Decode(View("e-1", "u-kept", "sku-kept"));
        // 200,000 new sessions would have replaced nearly every slot of a shared 65,536-slot table.
        for (var i = 0; i < 200_000; i++) Decode(View("e", "u-other", "sku-other", session: "s-new-" + i));
        var after = Decode(View("e-2", "u-kept", "sku-kept"));
        Assert.Same(before.UserId, after.UserId);
        Assert.Same(before.ItemId, after.ItemId);
    }

    [Fact]
    public void A_different_id_is_never_served_from_the_cache()
    {
        var ids = Enumerable.Range(0, 200_000).Select(i => "u-" + i).ToList();
        foreach (var id in ids) Assert.Equal(id, Decode(View("e", id, "sku-1")).UserId);
        // Collisions replaced slots: every id still decodes as itself.
        foreach (var id in ids) Assert.Equal(id, Decode(View("e", id, "sku-1")).UserId);
    }

    [Fact]
    public void Escaped_long_and_non_ascii_values_read_as_the_built_in_converter_reads_them()
    {
        Assert.Equal("u\"quoted", Decode(View("e", "u\\\"quoted", "sku")).UserId);
        Assert.Equal("café-ü", Decode(View("e", "café-ü", "sku")).UserId);
        Assert.Equal("café-ü", Decode(View("e", "caf\\u00e9-\\u00fc", "sku")).UserId);
        var longId = new string('x', 300);
        Assert.Equal(longId, Decode(View("e", longId, "sku")).UserId);
    }

    [Fact]
    public void A_number_where_an_id_belongs_is_still_refused_as_malformed()
    {
        var decoded = ClickEventCodec.Decode(Encoding.UTF8.GetBytes(View("e", "u-1", "sku").Replace("\"u-1\"", "42")));
        Assert.False(decoded.IsValid);
        Assert.StartsWith("malformed:", decoded.Error);
        Assert.Contains("$.user_id", decoded.Error);
    }

    [Fact]
    public void Invalid_utf8_in_an_id_is_refused_even_after_a_valid_twin_was_cached()
    {
        var valid = Encoding.UTF8.GetBytes(View("e", "u-bad-1", "sku"));
        Assert.True(ClickEventCodec.Decode(valid).IsValid);
        var invalid = (byte[])valid.Clone();
        var at = Encoding.UTF8.GetString(valid).IndexOf("u-bad-1", StringComparison.Ordinal) + 2;
        invalid[at] = 0xFF; // "u-\xFF ad-1": not UTF-8
        Assert.False(ClickEventCodec.Decode(invalid).IsValid);
    }
}
