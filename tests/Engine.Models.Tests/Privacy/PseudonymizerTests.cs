using System.Security.Cryptography;
using Engine.Models.Privacy;

namespace Engine.Models.Tests.Privacy;

public sealed class PseudonymizerTests
{
    private static readonly Pseudonymizer Keyed = new(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void The_same_id_gives_the_same_pseudonym_and_it_never_contains_the_id()
    {
        var pseudonym = Keyed.Pseudonym("u-12345");
        Assert.Equal(pseudonym, Keyed.Pseudonym("u-12345"));
        Assert.DoesNotContain("12345", pseudonym, StringComparison.Ordinal);
        Assert.Equal(22, pseudonym.Length); // 128 bits, base64url without padding: safe in Redis keys and logs
        Assert.Matches("^[A-Za-z0-9_-]+$", pseudonym);
    }

    [Fact]
    public void Another_key_gives_unlinkable_pseudonyms()
    {
        var other = new Pseudonymizer(RandomNumberGenerator.GetBytes(32));
        Assert.NotEqual(Keyed.Pseudonym("u-1"), other.Pseudonym("u-1"));
    }

    [Fact]
    public void Distinct_ids_get_distinct_pseudonyms()
    {
        var pseudonyms = Enumerable.Range(0, 50_000).Select(i => Keyed.Pseudonym($"u-{i}")).ToHashSet();
        Assert.Equal(50_000, pseudonyms.Count);
    }

    [Theory]
    [InlineData("c2hvcnQ=", "at least 32 bytes")]
    [InlineData("not base64!", "not base64")]
    public void A_weak_or_malformed_key_is_refused_with_how_to_make_one(string secret, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => Pseudonymizer.FromBase64(secret));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains("openssl rand -base64 32", error.Message, StringComparison.Ordinal);
    }
}
