using Engine.Actors.Features;
using Engine.Models.Privacy;

namespace Engine.Actors.Tests.Features;

public class FeatureKeysTests
{
    private static readonly Pseudonymizer Pseudonyms = new(new byte[32]);

    [Fact]
    public void Keys_follow_the_documented_layout()
    {
        var keys = new FeatureKeys("f:", Pseudonyms);
        Assert.Equal("f:u:" + Pseudonyms.Pseudonym("u-1"), keys.Entity(EntityKind.User, "u-1"));
        Assert.Equal("f:c:camp-1", keys.Entity(EntityKind.Campaign, "camp-1"));
        Assert.Equal("f:i:sku-1", keys.Entity(EntityKind.Item, "sku-1"));
        Assert.Equal("f:i:sku-1:p3", keys.ItemSlice("sku-1", 3));
    }

    [Fact]
    public void A_key_asked_again_is_the_same_whatever_was_asked_in_between()
    {
        var keys = new FeatureKeys("f:", Pseudonyms);
        var ids = Enumerable.Range(0, 100_000).Select(i => "id-" + i).ToList();
        // More ids than the cache holds, each as every kind and a few slices: collisions replace slots, never answer wrongly.
        for (var round = 0; round < 2; round++)
            foreach (var id in ids)
            {
                Assert.Equal("f:u:" + Pseudonyms.Pseudonym(id), keys.Entity(EntityKind.User, id));
                Assert.Equal("f:c:" + id, keys.Entity(EntityKind.Campaign, id));
                Assert.Equal("f:i:" + id, keys.Entity(EntityKind.Item, id));
                Assert.Equal($"f:i:{id}:p{id.Length % 4}", keys.ItemSlice(id, id.Length % 4));
            }
    }

    [Fact]
    public void An_item_whose_id_reads_like_a_slice_has_keys_of_its_own()
    {
        var keys = new FeatureKeys("f:", Pseudonyms);
        // Item "sku:p3" and slice 3 of item "sku" were both f:i:sku:p3: one item's events overwrote the other's features.
        Assert.NotEqual(keys.ItemSlice("sku", 3), keys.Entity(EntityKind.Item, "sku:p3"));
        Assert.NotEqual(keys.ItemSlice("sku", 3), keys.ItemSlice("sku:p3", 3));
        var ids = new[] { "sku", "sku:p3", "sku:p3:p3", "sku:p", "sku:p03", ":p3", "p3", "~", "~sku", "~c2t1", "~c2t1OnAz", "sku:q3", "SKU:P3", "é:p1" };
        var all = ids.SelectMany(id => Enumerable.Range(0, 4).Select(p => keys.ItemSlice(id, p)).Prepend(keys.Entity(EntityKind.Item, id))).ToList();
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
        // Ordinary ids keep the documented layout (keys already in Redis stay readable).
        Assert.Equal("f:i:sku:q3", keys.Entity(EntityKind.Item, "sku:q3"));
        Assert.Equal("f:i:sku:p:p1", keys.ItemSlice("sku:p", 1));
    }
}
