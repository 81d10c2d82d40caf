using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Engine.Actors.Kafka;
using Engine.Actors.Pipeline;
using Engine.Models.Contracts;

namespace Engine.Actors.Tests.Pipeline;

public sealed class ListConflationTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private long _offset;

    private DecodedRecord Record(string user, EventType type, string? session = "s-1")
    {
        var offset = _offset++;
        var evt = new ClickEvent
        {
            EventId = $"e-{offset}", EventTime = T0.AddSeconds(offset), UserId = user, SessionId = session, Type = type,
            ItemId = type is EventType.ProductView or EventType.AddToCart or EventType.Purchase ? "i-1" : null,
        };
        return new(new CommittableMessage(new KafkaRecord("t", 0, offset, null, null, DateTime.UtcNow), new CommittableOffset("g", "t", 0, offset)),
            Decoded.Ok(evt), DateTime.UtcNow);
    }

    private static bool[] Marks(IEnumerable<DecodedRecord> records) => [.. records.Select(r => r.ListSuperseded)];

    [Fact]
    public void A_page_event_is_marked_only_when_a_later_page_event_of_the_same_users_session_was_read_with_it()
    {
        List<DecodedRecord> read =
        [
            Record("u-1", EventType.ProductView),              // u-1's next is a search, which sends no list while its session has no clicks
            Record("u-2", EventType.ProductView),              // u-2's next is in another session
            Record("u-1", EventType.Search),                   // u-1's later cart add in s-1 replaces its list
            Record("u-3", EventType.ProductView),              // only a bid request follows: it sends no list
            Record("u-2", EventType.ProductView, "s-2"),
            Record("u-3", EventType.BidRequest, session: null),
            Record("u-4", EventType.ProductView, session: null), // no session to share: never marked
            Record("u-4", EventType.ProductView, session: null),
            Record("u-6", EventType.ProductView),              // a purchase without a session follows: it sends a list of its own,
            Record("u-6", EventType.Purchase, session: null),  // which may leave the later search's a repeat, unsent
            Record("u-6", EventType.Search),
            Record("u-1", EventType.AddToCart),                // u-1's latest: it sends the list
            Record("u-5", EventType.AdImpression),
            Record("u-5", EventType.Purchase),
        ];
        var refused = new DecodedRecord(read[0].Message, Decoded.Fail("malformed: x"), DateTime.UtcNow);
        read.Add(refused);

        Assert.Equal([false, false, true, false, false, false, false, false, false, false, false, false, false, false, false], ListConflation.Superseded(read));
    }

    [Fact]
    public async Task Records_are_marked_only_when_read_together_while_the_asks_hold_them_back()
    {
        var materializer = Sys.Materializer();
        // The asks take each record as it comes (the node keeps up): nothing is marked, however close a user's clicks are.
        var (input, output) = Run(materializer);
        output.Request(1_000);
        for (var i = 0; i < 6; i++)
        {
            input.SendNext(Record("u-1", EventType.ProductView));
            Assert.False(output.ExpectNext().ListSuperseded);
        }

        // The asks hold back (no demand): the clicks that arrive meanwhile are read together, and each but the latest leaves its
        // list to it.
        var (held, heldOutput) = Run(materializer);
        for (var i = 0; i < 6; i++) held.SendNext(Record("u-2", EventType.ProductView));
        await Task.Delay(100);
        var takenFrom = DateTime.UtcNow;
        heldOutput.Request(1_000);
        var taken = heldOutput.ExpectNextN(6);
        Assert.Equal([true, true, true, true, true, false], Marks(taken));
        // Stamped as the asks take them in, not as they were read: a bid's tmax from intake does not run while it waits here.
        Assert.All(taken, r => Assert.True(r.ReceivedUtc >= takenFrom, $"taken in at {r.ReceivedUtc:O}, asked for from {takenFrom:O}"));

        // Off (window 0): never marked.
        var off = await Source.From(Enumerable.Range(0, 6).Select(_ => Record("u-3", EventType.ProductView))).Via(ListConflation.Flow(0))
            .RunWith(Sink.Seq<DecodedRecord>(), materializer);
        Assert.All(off, r => Assert.False(r.ListSuperseded));
    }

    private (TestPublisher.Probe<DecodedRecord> Input, TestSubscriber.Probe<DecodedRecord> Output) Run(IMaterializer materializer) =>
        this.SourceProbe<DecodedRecord>().Via(ListConflation.Flow(512)).ToMaterialized(this.SinkProbe<DecodedRecord>(), Keep.Both).Run(materializer);
}
