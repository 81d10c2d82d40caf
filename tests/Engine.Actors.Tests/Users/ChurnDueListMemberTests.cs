using Engine.Actors.Users;
using Engine.Models.Privacy;

namespace Engine.Actors.Tests.Users;

public class ChurnDueListMemberTests
{
    [Fact]
    public void A_cached_member_is_what_sealing_gives_whatever_was_asked_in_between()
    {
        var sealer = new UserIdSealer(new byte[32]);
        // Member never goes to Redis: no connection is needed to ask for one.
        var dueList = new ChurnDueList(redis: null!, "test:", sealer);
        var ids = Enumerable.Range(0, 80_000).Select(i => "u-" + i).ToList();
        // More ids than the cache's slots: collisions replace entries, and never answer with another user's member.
        for (var round = 0; round < 2; round++)
            foreach (var id in ids)
            {
                var member = dueList.Member(id);
                Assert.Equal(id, sealer.TryOpen(member));
                Assert.Equal(sealer.Seal(id), member);
            }
    }
}
