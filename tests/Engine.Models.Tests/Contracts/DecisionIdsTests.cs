using Engine.Models.Contracts;

namespace Engine.Models.Tests.Contracts;

public class DecisionIdsTests
{
    // Pinned values (SHA-256 of the UTF-8 of the parts joined by U+001F, first 16 bytes as hex): ids already on the
    // decision topics must not change when the derivation is reworked.
    [Theory]
    [InlineData("599fb3e2b83b84d836dc9c8c262d64a0", "recommendation", "u-1-shoe-1-1")]
    [InlineData("0e1a31f619be24b37e32b3b18f5da1ef", "churn", "user-42", "1700000000000")]
    [InlineData("9131fa74c7a1dbd2b0cf75a58a5d5c18", "bid", "r-é-✓")]
    public void An_id_is_the_hash_of_its_kind_and_causes(string expected, string kind, params string[] causes) =>
        Assert.Equal(expected, DecisionIds.Derive(kind, causes));

    [Fact]
    public void A_long_cause_hashes_as_a_short_one_would() =>
        Assert.Equal("133c3350d8bf30dcbbc4b35dfaddcf4a", DecisionIds.Derive("recommendation", new string('x', 600)));
}
