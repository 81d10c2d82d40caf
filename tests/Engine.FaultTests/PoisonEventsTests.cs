using System.Text;
using Engine.FaultTests.Harness;
using Engine.Host.Embedded;
using Engine.Models.Contracts;
using Xunit.Abstractions;

namespace Engine.FaultTests;

/// <summary>10,000 bad records mixed into a valid stream: each dead-lettered with its reason, every valid event decided, no crash.</summary>
public sealed class PoisonEventsTests(ITestOutputHelper output)
{
    private const int Poison = 10_000;

    [Fact]
    public async Task Ten_thousand_bad_records_are_dead_lettered_with_reasons_and_every_valid_event_is_decided()
    {
        var valid = FaultScale.StreamEvents;
        var bound = TimeSpan.FromSeconds(90 + (valid + Poison) / 500.0);
        using var garnet = new EmbeddedGarnet();
        await using var run = await FaultRun.StartAsync(garnet.Endpoint, output);
        using var stop = new CancellationTokenSource(bound);
        var records = Mixed(run.Events, valid).ToList();
        var kinds = records.Where(r => r.Event is null).GroupBy(r => r.Poison!).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"injected: {Poison:N0} bad records among {valid:N0} valid ones: " + string.Join(", ", kinds.Select(k => $"{k.Value:N0} {k.Key}")));

        // Oversized records are 65 KB: a small lag keeps the broker's ~5 MB per partition from dropping any unread.
        var producing = run.ProduceAsync(records, 300, stop.Token);
        await run.WaitCommittedAsync(records.Count, bound, producing);

        var letters = run.Decisions.DeadLetters.ToList();
        var byReason = letters.GroupBy(l => l.Reason.Split(':')[0]).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"dead letters read: {letters.Count:N0} ({string.Join(", ", byReason.Select(r => $"{r.Value:N0} {r.Key}"))}); " +
                         $"distinct source positions {letters.Select(l => (l.Partition, l.Offset)).Distinct().Count():N0}");
        Assert.Equal(Poison, letters.Select(l => (l.Partition, l.Offset)).Distinct().Count());
        Assert.All(letters, l => Assert.False(string.IsNullOrWhiteSpace(l.Reason)));
        // Each letter is an injected record's, under the refusal of its kind (since 2026-12-07: before, only the counts of two
        // kinds were compared, so a valid record dead-lettered in place of a bad one dropped unseen kept every count right).
        var injected = run.Producer.PoisonDelivered.ToDictionary(p => (p.Position.Partition, p.Position.Offset), p => p.Kind);
        Assert.Equal(Poison, injected.Count);
        var misfiled = letters.Where(l => !injected.TryGetValue((l.Partition, l.Offset), out var kind) || !l.Reason.StartsWith(kind + ":", StringComparison.Ordinal)).ToList();
        Assert.True(misfiled.Count == 0, $"{misfiled.Count} letters not of an injected record or not under its kind's reason, e.g. " +
                                         string.Join(" | ", misfiled.Take(3).Select(l => $"{l.Partition}:{l.Offset} {l.Reason}")));
        Assert.Equal(Poison, run.Node.UserCounters.DeadLettered);
        await run.AssertNothingLostAsync();
    }

    /// <summary>Every third record bad, cycling malformed JSON, oversized, unknown type and wrong schema version.</summary>
    private static IEnumerable<OutgoingRecord> Mixed(FaultEvents events, int valid)
    {
        var bad = 0;
        var good = 0L;
        foreach (var record in StreamProducer.Valid(events, 0, valid))
        {
            yield return record;
            if (++good % 2 != 0 || bad >= Poison) continue;
            yield return BadRecord(bad++, record.Event!);
        }
        while (bad < Poison) yield return BadRecord(bad++, events.Event(valid + bad));
    }

    private static OutgoingRecord BadRecord(int n, ClickEvent template)
    {
        var json = Encoding.UTF8.GetString(ClickEventCodec.Encode(template with { EventId = $"bad-{n}" }));
        var value = (n % 4) switch
        {
            0 => Encoding.UTF8.GetBytes(json[..(json.Length / 2)]),
            1 => Encoding.UTF8.GetBytes(json.Replace("\"event_id\"", $"\"padding\":\"{new string('x', ClickEventCodec.MaxRecordBytes)}\",\"event_id\"", StringComparison.Ordinal)),
            2 => Encoding.UTF8.GetBytes(json.Replace($"\"{Snake(template.Type)}\"", "\"teleport\"", StringComparison.Ordinal)),
            _ => Encoding.UTF8.GetBytes(json.Replace("\"schema_version\":1", "\"schema_version\":7", StringComparison.Ordinal)),
        };
        return new OutgoingRecord(template.UserId, value, null, Poison: (n % 4) switch
        {
            0 => "malformed",
            1 => "oversized",
            2 => "unknown type",
            _ => "wrong schema",
        });
    }

    private static string Snake(EventType type) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(type.ToString());
}
