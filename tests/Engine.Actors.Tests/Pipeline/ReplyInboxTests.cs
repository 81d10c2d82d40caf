using Akka.Actor;
using Engine.Actors.Features;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Models.Contracts;
using Engine.Models.Features;

namespace Engine.Actors.Tests.Pipeline;

public sealed class ReplyInboxTests : Akka.TestKit.Xunit2.TestKit
{
    private static DecodedRecord Record(long offset) =>
        new(new CommittableMessage(new KafkaRecord("t", 0, offset, null, null, DateTime.UtcNow), new CommittableOffset("g", "t", 0, offset)),
            Decoded.Fail("not read here"), DateTime.UtcNow);

    private static EntityHandled Handled(string id, long offset) =>
        new(EntityKind.User, id, [], null, ApplyOutcome.Applied, Position: new EventPosition(0, offset));

    /// <summary>Holds every request until it has <paramref name="count"/>, then answers them latest first (as entities on other threads may).</summary>
    private sealed class AnswersInReverse : ReceiveActor
    {
        public AnswersInReverse(int count)
        {
            var held = new List<(long Offset, IActorRef Sender)>();
            Receive<long>(offset =>
            {
                held.Add((offset, Sender));
                if (held.Count < count) return;
                for (var i = held.Count - 1; i >= 0; i--) held[i].Sender.Tell(Handled("e-" + held[i].Offset, held[i].Offset));
            });
        }
    }

    [Fact]
    public async Task Answers_out_of_order_complete_the_asks_they_answer()
    {
        using var inbox = new ReplyInbox(Sys, TimeSpan.FromMinutes(1));
        var region = Sys.ActorOf(Props.Create(() => new AnswersInReverse(5)));
        var asks = Enumerable.Range(10, 5).Select(offset => (Offset: (long)offset, Task: inbox.Ask(region, (long)offset, Record(offset)))).ToList();
        foreach (var (offset, task) in asks)
        {
            var asked = await task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(offset, asked.Record.Message.Record.Offset);
            Assert.Equal("e-" + offset, asked.Handled!.EntityId);
        }
    }

    /// <summary>
    /// A node restarted at the same address builds its inboxes again, and Akka numbers temporary names from the start in each
    /// actor system: an entity that compared the new writer with the old one by path took them for one (WriterHandover), and
    /// sent no whole state to the new writer (review, 2026-12-08). Each inbox's address is its own, and still found by it.
    /// </summary>
    [Fact]
    public async Task An_inbox_of_a_restarted_node_is_not_taken_for_the_one_before_it()
    {
        var (before, after) = (ActorSystem.Create("engine-restarted"), ActorSystem.Create("engine-restarted"));
        try
        {
            using var old = new ReplyInbox(before, TimeSpan.FromMinutes(1));
            using var renewed = new ReplyInbox(after, TimeSpan.FromMinutes(1));

            Assert.NotEqual(old.Path, renewed.Path);
            Assert.False(renewed.Equals(old));
            var state = new UserFeatureState("u-1", TimeSpan.FromMinutes(10));
            var handover = new WriterHandover();
            handover.Answering(old, state);
            Assert.False(state.DrainChanges().Replace);
            handover.Answering(renewed, state);
            Assert.True(state.DrainChanges().Replace); // the whole state, to the new writer
            Assert.Same(renewed, ((ExtendedActorSystem)after).Provider.ResolveActorRef(renewed.Path));
        }
        finally
        {
            await Task.WhenAll(before.Terminate(), after.Terminate());
        }
    }

    [Fact]
    public async Task An_unanswered_ask_fails_as_an_ask_would_once_its_timeout_passed()
    {
        // 1 s: the second ask must be answered within it, through a probe's round trip that a loaded machine can hold up.
        using var inbox = new ReplyInbox(Sys, TimeSpan.FromSeconds(1));
        var silent = CreateTestProbe();
        await Assert.ThrowsAsync<AskTimeoutException>(() => inbox.Ask(silent, "hello?", Record(1)).WaitAsync(TimeSpan.FromSeconds(30)));
        // Its late answer is dropped, and the inbox still serves the next ask.
        Assert.Equal("hello?", silent.ExpectMsg<string>());
        silent.LastSender.Tell(Handled("late", 1));
        var next = inbox.Ask(silent, "again", Record(2));
        silent.ExpectMsg<string>();
        silent.LastSender.Tell(Handled("on time", 2));
        Assert.Equal("on time", (await next.WaitAsync(TimeSpan.FromSeconds(30))).Handled!.EntityId);
    }

    [Fact]
    public async Task An_entity_that_failed_on_an_event_has_that_event_refused_and_the_others_answered()
    {
        using var inbox = new ReplyInbox(Sys, TimeSpan.FromMinutes(1));
        var region = CreateTestProbe();
        var first = inbox.Ask(region, "a", Record(1));
        var second = inbox.Ask(region, "b", Record(2));
        region.ExpectMsg<string>();
        region.LastSender.Tell(new EntityFailed(new EventPosition(0, 1), "failed: the user actor threw NullReferenceException"));
        region.LastSender.Tell(Handled("u-2", 2));
        var refused = await first.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(refused.Handled);
        Assert.Equal("failed: the user actor threw NullReferenceException", refused.Failure);
        Assert.Equal("u-2", (await second.WaitAsync(TimeSpan.FromSeconds(30))).Handled!.EntityId);
    }

    [Fact]
    public async Task An_entity_that_is_not_ready_fails_every_ask_in_flight()
    {
        using var inbox = new ReplyInbox(Sys, TimeSpan.FromMinutes(1));
        var region = CreateTestProbe();
        var first = inbox.Ask(region, "a", Record(1));
        var second = inbox.Ask(region, "b", Record(2));
        region.ExpectMsg<string>();
        region.LastSender.Tell(new EntityNotReady("u-1", "redis down"));
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => first.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("redis down", failure.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => second.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
