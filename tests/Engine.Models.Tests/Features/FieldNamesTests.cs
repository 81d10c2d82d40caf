using Engine.Models.Features.State;

namespace Engine.Models.Tests.Features;

public class FieldNamesTests
{
    [Fact]
    public void A_name_is_its_prefix_and_number_whatever_was_asked_in_between()
    {
        // Prefixes sharing a first letter and more names than slots: collisions replace entries, never answer wrongly.
        string[] prefixes = ["m:", "mv:", "h:", "hv:", "o:"];
        for (var round = 0; round < 2; round++)
            foreach (var prefix in prefixes)
                for (var n = -3L; n < 6_000; n++)
                    Assert.Equal(prefix + n.ToString(System.Globalization.CultureInfo.InvariantCulture), FieldNames.Of(prefix, n));
    }

    [Fact]
    public void A_keyed_name_is_its_prefix_and_key_and_repeats_as_one_string()
    {
        string[] prefixes = ["nb:", "cat:", "cart:"];
        var keys = Enumerable.Range(0, 20_000).Select(i => "sku-" + i).ToList();
        for (var round = 0; round < 2; round++)
            foreach (var prefix in prefixes)
                foreach (var key in keys)
                    Assert.Equal(prefix + key, FieldNames.Of(prefix, key));
        Assert.Same(FieldNames.Of("nb:", "sku-1"), FieldNames.Of("nb:", "sku-1"));
    }
}
