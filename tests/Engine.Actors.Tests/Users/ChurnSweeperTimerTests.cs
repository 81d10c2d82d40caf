using Akka.Actor;
using Akka.TestKit;
using Confluent.Kafka;
using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Actors.Users;
using Engine.Models.Features;
using Engine.Testing.Redis;
using static Engine.Actors.Users.UserProtocol;

namespace Engine.Actors.Tests.Users;

/// <summary>
/// The sweeper's timer under virtual time (Akka's TestScheduler): it looks at the due-list once per interval, never in
/// between, and wakes only the users due by the partition's event-time clock. The due-list is real (Garnet).
/// </summary>
public sealed class ChurnSweeperTimerTests(RedisFixture redis)
    : Akka.TestKit.Xunit2.TestKit("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\""), IClassFixture<RedisFixture>
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private static readonly TimeSpan RecheckAfter = TimeSpan.FromDays(1);

    [Fact]
    public async Task Sweeps_once_per_interval_and_wakes_only_the_users_due_by_event_time()
    {
        using var run = await StartAsync("sweeper-timer", partitions: 1);
        var (connection, due, clock, users, sweeper, scheduler) = (run.Connection, run.Due, run.Clock, run.Users, run.Sweeper, run.Scheduler);
        await due.ScheduleAsync(0, [new("due-early", 1_000), new("due-late", 5_000)]);
        clock.Advance(0, 2_000); // the partition's event time: "due-early" is due, "due-late" is not yet

        scheduler.Advance(Interval - TimeSpan.FromMinutes(1));
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // the timer has not fired: no look at Redis, nobody woken

        scheduler.Advance(TimeSpan.FromMinutes(1));
        var check = users.ExpectMsg<CheckChurn>(TimeSpan.FromSeconds(10));
        var sweeperRef = users.LastSender;
        Assert.Equal("due-early", check.UserId);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(2_000), check.AsOf);
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // "due-late" sleeps on

        // No alert: the user's next check moves RecheckAfter later in event time.
        sweeperRef.Tell(new ChurnChecked("due-early", null, new UserSegment(null, null), StillWatched: true), users.Ref);
        await AwaitAssertAsync(async () => Assert.Equal(2_000 + RecheckAfter.TotalMilliseconds,
            await connection.GetDatabase().SortedSetScoreAsync(due.Key(0), due.Member("due-early"))), TimeSpan.FromSeconds(10));

        // Event time moves past "due-late": the next tick, and only it, wakes them.
        clock.Advance(0, 6_000);
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        scheduler.Advance(Interval);
        Assert.Equal("due-late", users.ExpectMsg<CheckChurn>(TimeSpan.FromSeconds(10)).UserId);
        // No longer watched (no consent, no events left, or silent a month): off the list.
        users.LastSender.Tell(new ChurnChecked("due-late", null, new UserSegment(null, null), StillWatched: false), users.Ref);
        await AwaitAssertAsync(async () => Assert.Null(await connection.GetDatabase().SortedSetScoreAsync(due.Key(0), due.Member("due-late"))),
            TimeSpan.FromSeconds(10));
        Sys.Stop(sweeper);
    }

    /// <summary>
    /// The node wakes at most its rate of users per look, shared between its partitions: per partition alone (100 each
    /// here), a node of many partitions woke them by the thousand a second after a backlog, each loaded and resident for
    /// minutes (before 2026-12-07, review). The rest are woken at the next looks.
    /// </summary>
    [Fact]
    public async Task A_look_wakes_at_most_the_nodes_rate_shared_between_its_partitions()
    {
        var look = TimeSpan.FromSeconds(1);
        using var run = await StartAsync("sweeper-rate", partitions: 4, interval: look, maxChecksPerSecond: 40);
        for (var partition = 0; partition < 4; partition++)
        {
            await run.Due.ScheduleAsync(partition, [.. Enumerable.Range(0, 30).Select(i => new KeyValuePair<string, long>($"p{partition}-u{i}", 1_000))]);
            run.Clock.Advance(partition, 2_000);
        }

        run.Scheduler.Advance(look);
        var woken = run.Users.ReceiveN(40, TimeSpan.FromSeconds(10)).Cast<CheckChurn>().ToList();
        run.Users.ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        Assert.All(Enumerable.Range(0, 4), partition => Assert.Equal(10, woken.Count(c => c.UserId.StartsWith($"p{partition}-", StringComparison.Ordinal))));
        Sys.Stop(run.Sweeper);
    }

    /// <summary>
    /// A partition with a backlog takes the shares the others leave: one whose last look filled its part gets what the
    /// partitions with nothing due do not use (they keep a tenth of an equal part, to find their next due users). With
    /// equal parts alone, a partition alone with a backlog drained at a quarter of the rate here, an eighth of 8 (review).
    /// </summary>
    [Fact]
    public async Task A_partition_with_a_backlog_takes_the_shares_the_others_leave()
    {
        var look = TimeSpan.FromSeconds(1);
        using var run = await StartAsync("sweeper-hungry", partitions: 4, interval: look, maxChecksPerSecond: 40);
        await run.Due.ScheduleAsync(0, [.. Enumerable.Range(0, 100).Select(i => new KeyValuePair<string, long>($"p0-u{i}", 1_000))]);
        for (var partition = 0; partition < 4; partition++) run.Clock.Advance(partition, 2_000);

        run.Scheduler.Advance(look);
        var first = run.Users.ReceiveN(10, TimeSpan.FromSeconds(10)).Cast<CheckChurn>().ToList(); // an equal part: 40 / 4
        run.Users.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        var sweeper = run.Sweeper;
        foreach (var check in first)
            sweeper.Tell(new ChurnChecked(check.UserId, null, new UserSegment(null, null), StillWatched: true, check.TickId), run.Users.Ref);
        await AwaitAssertAsync(async () =>
        {
            foreach (var c in first)
                Assert.Equal(2_000 + RecheckAfter.TotalMilliseconds, await run.Connection.GetDatabase().SortedSetScoreAsync(run.Due.Key(0), run.Due.Member(c.UserId)));
        }, TimeSpan.FromSeconds(10));
        await Task.Delay(300); // the answers recorded: partition 0 is swept again

        run.Scheduler.Advance(look);
        var second = run.Users.ReceiveN(37, TimeSpan.FromSeconds(10)).Cast<CheckChurn>().ToList(); // 40 less a probe of 1 for each of the 3 others
        run.Users.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        Assert.All(second, c => Assert.StartsWith("p0-", c.UserId));
        Assert.Empty(second.Select(c => c.UserId).Intersect(first.Select(c => c.UserId)));
        Sys.Stop(run.Sweeper);
    }

    /// <summary>
    /// A sweep reads its lateness behind the partition's clock: an event stamped minutes before the clock may still be on its
    /// way (a batch uploaded by a mobile SDK), and a check as of the clock scored a user who came back in those minutes as
    /// silent all along (before 2026-12-07, review).
    /// </summary>
    [Fact]
    public async Task A_sweep_reads_its_lateness_behind_the_partitions_clock()
    {
        var lateness = TimeSpan.FromMinutes(10);
        using var run = await StartAsync("sweeper-behind", partitions: 1, behind: lateness);
        var dueMs = (long)TimeSpan.FromDays(3).TotalMilliseconds;
        await run.Due.ScheduleAsync(0, [new("quiet", dueMs)]);

        run.Clock.Advance(0, dueMs + (long)TimeSpan.FromMinutes(5).TotalMilliseconds); // due, by the clock; not by the clock less its lateness
        run.Scheduler.Advance(Interval);
        run.Users.ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        run.Clock.Advance(0, dueMs + (long)TimeSpan.FromMinutes(11).TotalMilliseconds);
        run.Scheduler.Advance(Interval);
        var check = run.Users.ExpectMsg<CheckChurn>(TimeSpan.FromSeconds(10));
        Assert.Equal(("quiet", DateTimeOffset.FromUnixTimeMilliseconds(dueMs + (long)TimeSpan.FromMinutes(1).TotalMilliseconds)), (check.UserId, check.AsOf));
        Sys.Stop(run.Sweeper);
    }

    /// <summary>
    /// A user slow to answer holds up the next sweep of their own partition only: the other partitions' users due meanwhile
    /// are woken at the next tick. Before, one unanswered check held up every partition's sweeps until its answer timeout.
    /// </summary>
    [Fact]
    public async Task A_user_slow_to_answer_holds_up_only_their_own_partitions_next_sweep()
    {
        using var run = await StartAsync("sweeper-partitions", partitions: 2);
        var (connection, due, clock, users, sweeper, scheduler) = (run.Connection, run.Due, run.Clock, run.Users, run.Sweeper, run.Scheduler);
        await due.ScheduleAsync(0, [new("slow", 1_000)]);
        await due.ScheduleAsync(1, [new("quick", 1_000)]);
        clock.Advance(0, 2_000);
        clock.Advance(1, 2_000);

        scheduler.Advance(Interval);
        var woken = new[] { users.ExpectMsg<CheckChurn>(TimeSpan.FromSeconds(10)), users.ExpectMsg<CheckChurn>(TimeSpan.FromSeconds(10)) };
        Assert.Equal(["quick", "slow"], woken.Select(c => c.UserId).Order());
        // "quick" answers (no alert: checked again a day later); "slow" does not answer yet. Meanwhile more users fall due.
        users.LastSender.Tell(new ChurnChecked("quick", null, new UserSegment(null, null), StillWatched: true), users.Ref);
        await AwaitAssertAsync(async () => Assert.Equal(2_000 + RecheckAfter.TotalMilliseconds,
            await connection.GetDatabase().SortedSetScoreAsync(due.Key(1), due.Member("quick"))), TimeSpan.FromSeconds(10));
        await due.ScheduleAsync(0, [new("behind-slow", 1_500)]);
        await due.ScheduleAsync(1, [new("next", 1_500)]);

        scheduler.Advance(Interval);
        Assert.Equal("next", users.ExpectMsg<CheckChurn>(TimeSpan.FromSeconds(10)).UserId);
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(500)); // partition 0 waits for "slow"
        Sys.Stop(sweeper);
    }

    /// <summary>
    /// A check answered after the sweeper gave up on it (the actor took longer than the answer timeout: a Redis stall, a
    /// shard handoff) carries an alert the sweeper no longer sends: the actor is told, so its episode re-arms and a later
    /// check alerts. Before, the answer was dropped: the actor stayed alerted with no alert ever sent.
    /// </summary>
    [Fact]
    public async Task An_alert_answered_after_its_check_was_given_up_on_re_arms_the_users_episode()
    {
        using var run = await StartAsync("sweeper-late", partitions: 1, answerTimeout: TimeSpan.FromMilliseconds(100));
        var (connection, due, clock, users, sweeper, scheduler) = (run.Connection, run.Due, run.Clock, run.Users, run.Sweeper, run.Scheduler);
        await due.ScheduleAsync(0, [new("slow", 1_000)]);
        clock.Advance(0, 2_000);

        scheduler.Advance(Interval);
        var check = users.ExpectMsg<CheckChurn>(TimeSpan.FromSeconds(10));
        var sweeperRef = users.LastSender;
        // Meanwhile the user came back (their next check moved later), and the answer is slower than the timeout.
        await due.ScheduleAsync(0, [new("slow", 10_000)]);
        await Task.Delay(300);
        scheduler.Advance(Interval); // gives up on the check; nobody else is due
        users.ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        var alert = new Engine.Models.Contracts.ChurnAlert
        {
            DecisionId = "alert-slow", CausedBy = check.TickId, DecidedAt = DateTimeOffset.UtcNow, ModelVersion = "churn-test", Reasons = [],
            UserId = "slow", Probability = 0.9, Threshold = 0.7,
        };
        sweeperRef.Tell(new ChurnChecked("slow", alert, new UserSegment(null, null), StillWatched: true), users.Ref);

        var undelivered = users.ExpectMsg<ChurnAlertUndelivered>(TimeSpan.FromSeconds(10));
        Assert.Equal(("slow", "alert-slow"), (undelivered.UserId, undelivered.DecisionId));
        Sys.Stop(sweeper);
    }

    /// <summary>
    /// A check given up on is answered while the user was woken again by a later sweep: its answer (no alert, as of the
    /// earlier clock) does not answer for the check waiting now. Before 2026-12-06 it did: the user was moved a day on, and
    /// the alert the waiting check raised was then dropped as an answer to nothing.
    /// </summary>
    [Fact]
    public async Task An_answer_to_a_check_given_up_on_does_not_answer_for_the_users_next_check()
    {
        using var run = await StartAsync("sweeper-stale", partitions: 1, answerTimeout: TimeSpan.FromMilliseconds(100));
        var (connection, due, clock, users, sweeper, scheduler) = (run.Connection, run.Due, run.Clock, run.Users, run.Sweeper, run.Scheduler);
        await due.ScheduleAsync(0, [new("slow", 1_000)]);
        clock.Advance(0, 2_000);

        scheduler.Advance(Interval);
        var first = users.ExpectMsg<CheckChurn>(TimeSpan.FromSeconds(10));
        var sweeperRef = users.LastSender;
        await Task.Delay(300); // past the answer timeout
        clock.Advance(0, 3_000);
        scheduler.Advance(Interval); // gives up on the first check, and wakes the user again (still due)
        var second = users.ExpectMsg<CheckChurn>(TimeSpan.FromSeconds(10));
        Assert.NotEqual(first.TickId, second.TickId);

        sweeperRef.Tell(new ChurnChecked("slow", null, new UserSegment(null, null), StillWatched: true, first.TickId), users.Ref);
        await Task.Delay(500);
        Assert.Equal(1_000, await connection.GetDatabase().SortedSetScoreAsync(due.Key(0), due.Member("slow"))); // still due

        sweeperRef.Tell(new ChurnChecked("slow", null, new UserSegment(null, null), StillWatched: true, second.TickId), users.Ref);
        await AwaitAssertAsync(async () => Assert.Equal(3_000 + RecheckAfter.TotalMilliseconds,
            await connection.GetDatabase().SortedSetScoreAsync(due.Key(0), due.Member("slow"))), TimeSpan.FromSeconds(10));
        Sys.Stop(sweeper);
    }

    /// <summary>A sweeper over a due-list in Garnet, a partition clock and a probe for the user region, on the test scheduler.</summary>
    private async Task<Sweeping> StartAsync(string name, int partitions, TimeSpan? answerTimeout = null, TimeSpan? interval = null, int maxChecksPerSecond = 1_000,
        TimeSpan behind = default)
    {
        var connection = redis.Connect(RedisKind.Garnet);
        var due = new ChurnDueList(connection, RedisFixture.UniquePrefix(name));
        var (clock, users) = (new PartitionClock(), CreateTestProbe());
        // No broker: no check in these tests returns an alert that is sent.
        var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = "127.0.0.1:1" }).Build();
        var sweeper = Sys.ActorOf(ChurnSweeper.Props(users, due, clock, producer, new DecisionTopics(), new DecisionCounters(),
            new ChurnSweepSettings(interval ?? Interval, 100, RecheckAfter, partitions, answerTimeout, maxChecksPerSecond, behind)));
        await sweeper.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(10)); // started: its timer is set
        return new Sweeping(connection, due, clock, users, sweeper, (TestScheduler)Sys.Scheduler, producer);
    }

    private sealed record Sweeping(StackExchange.Redis.IConnectionMultiplexer Connection, ChurnDueList Due, PartitionClock Clock, TestProbe Users,
        IActorRef Sweeper, TestScheduler Scheduler, IProducer<byte[], byte[]> Producer) : IDisposable
    {
        public void Dispose() => Producer.Dispose();
    }
}
