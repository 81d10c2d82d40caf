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
}
