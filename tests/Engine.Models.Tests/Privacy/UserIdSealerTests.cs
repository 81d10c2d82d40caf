using System.Security.Cryptography;
using Engine.Models.Privacy;

namespace Engine.Models.Tests.Privacy;

public sealed class UserIdSealerTests
{
    private static readonly UserIdSealer Sealer = new(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void A_sealed_id_opens_to_the_id_is_the_same_every_time_and_does_not_contain_it()
    {
        var sealedId = Sealer.Seal("u-12345");
        Assert.Equal(sealedId, Sealer.Seal("u-12345")); // deterministic: a later event moves the same due-list member
        Assert.NotEqual(sealedId, Sealer.Seal("u-12346"));
        Assert.DoesNotContain("12345", sealedId, StringComparison.Ordinal);
        Assert.Matches("^[A-Za-z0-9_-]+$", sealedId);
        Assert.Equal("u-12345", Sealer.TryOpen(sealedId));
        Assert.Equal("ü-ß ✓", Sealer.TryOpen(Sealer.Seal("ü-ß ✓")));
    }

    [Fact]
    public void Another_key_an_altered_member_or_garbage_do_not_open()
    {
        var sealedId = Sealer.Seal("u-1");
        Assert.Null(new UserIdSealer(RandomNumberGenerator.GetBytes(32)).TryOpen(sealedId));
        var altered = sealedId.ToCharArray();
        altered[^3] = altered[^3] == 'A' ? 'B' : 'A';
        Assert.Null(Sealer.TryOpen(new string(altered)));
        Assert.Null(Sealer.TryOpen("u-1"));
        Assert.Null(Sealer.TryOpen("not base64 !"));
    }

    [Fact]
    public void A_short_key_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new UserIdSealer(new byte[16]));
    }
}
