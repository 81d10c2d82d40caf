using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Engine.Actors.Campaigns;
using Engine.Actors.Features;
using Engine.Actors.Pipeline;
using Engine.Actors.Privacy;
using Engine.Actors.Users;
using Engine.Models.Contracts;
using Engine.Models.Features;
using Engine.Models.Features.State;

namespace Engine.Actors.Sharding;

/// <summary>
/// The wire format of what crosses nodes between a stream and an entity: the entity commands and their replies. An
/// entity lives where its partition is consumed, so this is used while shards move (a rebalance, a takeover), and for the
/// pace ticks every node sends every campaign (<see cref="Campaigns.CampaignPaceTicker"/>);
/// Akka's default JSON serializer cannot rebuild the decisions' read-only lists. Events and decisions are written in
/// their own Kafka JSON contract, the rest as plain binary fields.
/// </summary>
public sealed class EntityMessageSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Binds the serializer to the messages (used as a fallback configuration of the engine's actor system).</summary>
    public static Config Config { get; } = ConfigurationFactory.ParseString("""
        akka.actor {
          serializers.engine-entity = "Engine.Actors.Sharding.EntityMessageSerializer, Engine.Actors"
          serialization-bindings {
            "Engine.Actors.Sharding.IShardedMessage, Engine.Actors" = engine-entity
            "Engine.Actors.Pipeline.EntityHandled, Engine.Actors" = engine-entity
            "Engine.Actors.Pipeline.EntityNotReady, Engine.Actors" = engine-entity
            "Engine.Actors.Pipeline.EntityFailed, Engine.Actors" = engine-entity
            "Engine.Actors.Sharding.EntityStopping, Engine.Actors" = engine-entity
            "Engine.Actors.Users.UserProtocol+ChurnChecked, Engine.Actors" = engine-entity
            "Engine.Actors.Privacy.PrivacyProtocol+UserErased, Engine.Actors" = engine-entity
            "Engine.Actors.Privacy.PrivacyProtocol+ConsentRecorded, Engine.Actors" = engine-entity
            "Engine.Actors.Privacy.PrivacyProtocol+PrivacyFailed, Engine.Actors" = engine-entity
          }
        }
        """);

    private const string Event = "E", CampaignEvent = "C", PaceIdle = "CP", Churn = "K", ChurnUndelivered = "KU", ChurnDelivered = "KD", ChurnDone = "KC", Stop = "S", StopUnlessElsewhere = "SE", Stopping = "SS", Handled = "H", NotReady = "N", Failed = "F";
    private const string Erase = "X", Consent = "P", Erased = "XD", ConsentDone = "PD", PrivacyFailed = "PF";

    public override int Identifier => 4207;

    public override string Manifest(object o) => o switch
    {
        UserProtocol.RecordEvent => Event,
        CampaignProtocol.RecordCampaignEvent => CampaignEvent,
        CampaignProtocol.PaceIdle => PaceIdle,
        UserProtocol.CheckChurn => Churn,
        UserProtocol.ChurnAlertUndelivered => ChurnUndelivered,
        UserProtocol.ChurnAlertDelivered => ChurnDelivered,
        UserProtocol.ChurnChecked => ChurnDone,
        StopEntity { UnlessAnsweringElsewhere: true } => StopUnlessElsewhere,
        StopEntity => Stop,
        EntityStopping => Stopping,
        EntityHandled => Handled,
        EntityNotReady => NotReady,
        EntityFailed => Failed,
        PrivacyProtocol.EraseUser => Erase,
        PrivacyProtocol.RecordConsent => Consent,
        PrivacyProtocol.UserErased => Erased,
        PrivacyProtocol.ConsentRecorded => ConsentDone,
        PrivacyProtocol.PrivacyFailed => PrivacyFailed,
        _ => throw new ArgumentException("not an entity message: " + o.GetType()),
    };

    public override byte[] ToBinary(object o)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream))
        {
            switch (o)
            {
                case UserProtocol.RecordEvent m:
                    w.Write(m.UserId);
                    WriteEvent(w, m.Event, m.Position);
                    w.Write(m.ReceivedAt.UtcTicks);
                    w.Write(m.ListSuperseded); // last: a node of an earlier version neither writes nor reads it
                    break;
                case CampaignProtocol.RecordCampaignEvent m:
                    w.Write(m.CampaignId);
                    WriteEvent(w, m.Event, m.Position);
                    WriteOptional(w, m.Origin);
                    break;
                case CampaignProtocol.PaceIdle m:
                    w.Write(m.CampaignId);
                    w.Write(m.AsOf.UtcTicks);
                    break;
                case UserProtocol.CheckChurn m:
                    w.Write(m.UserId);
                    w.Write(m.AsOf.UtcTicks);
                    w.Write(m.TickId);
                    break;
                case UserProtocol.ChurnAlertUndelivered m:
                    w.Write(m.UserId);
                    w.Write(m.DecisionId);
                    break;
                case UserProtocol.ChurnAlertDelivered m:
                    w.Write(m.UserId);
                    w.Write(m.DecisionId);
                    w.Write(m.CausedBy);
                    break;
                case UserProtocol.ChurnChecked m:
                    w.Write(m.UserId);
                    w.Write(m.Alert is not null);
                    if (m.Alert is { } alert) WriteBytes(w, JsonSerializer.SerializeToUtf8Bytes(alert, EngineJson.Default.ChurnAlert));
                    WriteOptional(w, m.Segment.Device);
                    WriteOptional(w, m.Segment.Region);
                    w.Write(m.StillWatched);
                    // Last and optional, in this order: a node of an earlier version neither writes nor reads them.
                    w.Write(m.TickId ?? "");
                    w.Write(m.Returning);
                    break;
                case StopEntity m:
                    w.Write(m.EntityId);
                    break;
                case EntityStopping m:
                    w.Write(m.EntityId);
                    w.Write(m.Stops);
                    break;
                case EntityNotReady m:
                    w.Write(m.EntityId);
                    w.Write(m.Reason);
                    break;
                case EntityHandled m:
                    WriteHandled(w, m);
                    break;
                case EntityFailed m:
                    w.Write(m.Position.Partition);
                    w.Write(m.Position.Offset);
                    w.Write(m.Reason);
                    break;
                case PrivacyProtocol.EraseUser m:
                    w.Write(m.UserId);
                    w.Write(m.RequestId);
                    break;
                case PrivacyProtocol.RecordConsent m:
                    w.Write(m.UserId);
                    w.Write(m.RequestId);
                    w.Write(m.Consent.Personalisation);
                    w.Write(m.Consent.AdTargeting);
                    break;
                case PrivacyProtocol.UserErased m:
                    w.Write(m.UserId);
                    w.Write(m.RequestId);
                    w.Write(m.Removed.Count);
                    foreach (var removed in m.Removed) w.Write(removed);
                    WriteOptional(w, m.LastAnswered);
                    break;
                case PrivacyProtocol.ConsentRecorded m:
                    w.Write(m.UserId);
                    w.Write(m.RequestId);
                    break;
                case PrivacyProtocol.PrivacyFailed m:
                    w.Write(m.UserId);
                    w.Write(m.RequestId);
                    w.Write(m.Reason);
                    break;
                default:
                    throw new ArgumentException("not an entity message: " + o.GetType());
            }
        }
        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        return manifest switch
        {
            Event => ReadEvent(r.ReadString(), r),
            CampaignEvent => new CampaignProtocol.RecordCampaignEvent(r.ReadString(), ReadClickEvent(r), new EventPosition(r.ReadInt32(), r.ReadInt64()), ReadOptionalPosition(r)),
            PaceIdle => new CampaignProtocol.PaceIdle(r.ReadString(), new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero)),
            Churn => new UserProtocol.CheckChurn(r.ReadString(), new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero), r.ReadString()),
            ChurnUndelivered => new UserProtocol.ChurnAlertUndelivered(r.ReadString(), r.ReadString()),
            ChurnDelivered => new UserProtocol.ChurnAlertDelivered(r.ReadString(), r.ReadString(), r.ReadString()),
            ChurnDone => new UserProtocol.ChurnChecked(r.ReadString(),
                r.ReadBoolean() ? JsonSerializer.Deserialize(ReadBytes(r), EngineJson.Default.ChurnAlert) : null,
                new UserSegment(ReadOptional(r), ReadOptional(r)), r.ReadBoolean(), More(r) && r.ReadString() is { Length: > 0 } tick ? tick : null, !More(r) || r.ReadBoolean()),
            Stop => new StopEntity(r.ReadString()),
            StopUnlessElsewhere => new StopEntity(r.ReadString(), UnlessAnsweringElsewhere: true),
            Stopping => new EntityStopping(r.ReadString(), r.ReadBoolean()),
            NotReady => new EntityNotReady(r.ReadString(), r.ReadString()),
            Failed => new EntityFailed(new EventPosition(r.ReadInt32(), r.ReadInt64()), r.ReadString()),
            Handled => ReadHandled(r),
            Erase => new PrivacyProtocol.EraseUser(r.ReadString(), r.ReadString()),
            Consent => new PrivacyProtocol.RecordConsent(r.ReadString(), r.ReadString(), new Engine.Models.Privacy.Consent(r.ReadBoolean(), r.ReadBoolean())),
            Erased => ReadErased(r),
            ConsentDone => new PrivacyProtocol.ConsentRecorded(r.ReadString(), r.ReadString()),
            PrivacyFailed => new PrivacyProtocol.PrivacyFailed(r.ReadString(), r.ReadString(), r.ReadString()),
            _ => throw new System.Runtime.Serialization.SerializationException("unknown entity message manifest " + manifest),
        };
    }

    private static void WriteEvent(BinaryWriter w, ClickEvent e, EventPosition position)
    {
        WriteBytes(w, ClickEventCodec.Encode(e));
        w.Write(position.Partition);
        w.Write(position.Offset);
    }

    private static UserProtocol.RecordEvent ReadEvent(string userId, BinaryReader r)
    {
        var e = ReadClickEvent(r);
        var position = new EventPosition(r.ReadInt32(), r.ReadInt64());
        return new UserProtocol.RecordEvent(userId, e, position, new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero)) { ListSuperseded = More(r) && r.ReadBoolean() };
    }

    private static ClickEvent ReadClickEvent(BinaryReader r) => JsonSerializer.Deserialize(ReadBytes(r), EngineJson.Default.ClickEvent)!;

    private static void WriteHandled(BinaryWriter w, EntityHandled m)
    {
        w.Write((int)m.Kind);
        w.Write(m.EntityId);
        w.Write((int)m.Outcome);
        w.Write(m.DroppedLateBids);
        w.Write(m.Returning);
        w.Write(m.Segment is not null);
        if (m.Segment is { } segment)
        {
            WriteOptional(w, segment.Device);
            WriteOptional(w, segment.Region);
        }
        w.Write(m.Decisions.Count);
        foreach (var decision in m.Decisions)
        {
            var (tag, json) = decision switch
            {
                Recommendation d => ('R', JsonSerializer.SerializeToUtf8Bytes(d, EngineJson.Default.Recommendation)),
                BidDecision d => ('B', JsonSerializer.SerializeToUtf8Bytes(d, EngineJson.Default.BidDecision)),
                BidAdjustment d => ('A', JsonSerializer.SerializeToUtf8Bytes(d, EngineJson.Default.BidAdjustment)),
                ChurnAlert d => ('C', JsonSerializer.SerializeToUtf8Bytes(d, EngineJson.Default.ChurnAlert)),
                _ => throw new ArgumentException("unknown decision " + decision.GetType()),
            };
            w.Write(tag);
            WriteBytes(w, json);
        }
        w.Write(m.Changes is not null);
        if (m.Changes is { } changes)
        {
            // Flags in the byte an older node reads as RenewTtl (any non-zero byte is true).
            w.Write((byte)((changes.RenewTtl ? 1 : 0) | (changes.Replace ? 2 : 0)));
            w.Write(changes.Set.Count);
            foreach (var (field, value) in changes.Set)
            {
                w.Write(field);
                w.Write(value);
            }
            w.Write(changes.Delete.Count);
            foreach (var field in changes.Delete) w.Write(field);
        }
        // Last, so a node without co-visits in its format reads the rest unchanged (and this one reads its messages as having none).
        w.Write(m.CoVisited?.Count ?? 0);
        foreach (var item in m.CoVisited ?? []) w.Write(item);
        // After the co-visits, for the same reason: an older node's message reads as having no position.
        WriteOptional(w, m.Position);
        w.Write(m.ListLeftToLater); // last again: an older node's message reads as a list sent as ever
    }

    private static EntityHandled ReadHandled(BinaryReader r)
    {
        var (kind, id, outcome, dropped, returning) =
            ((EntityKind)r.ReadInt32(), r.ReadString(), (ApplyOutcome)r.ReadInt32(), r.ReadInt32(), r.ReadBoolean());
        var segment = r.ReadBoolean() ? new UserSegment(ReadOptional(r), ReadOptional(r)) : null;
        var count = r.ReadInt32();
        var decisions = new List<IDecision>(count);
        for (var i = 0; i < count; i++)
        {
            var tag = r.ReadChar();
            var json = ReadBytes(r);
            decisions.Add(tag switch
            {
                'R' => JsonSerializer.Deserialize(json, EngineJson.Default.Recommendation)!,
                'B' => JsonSerializer.Deserialize(json, EngineJson.Default.BidDecision)!,
                'A' => JsonSerializer.Deserialize(json, EngineJson.Default.BidAdjustment)!,
                'C' => JsonSerializer.Deserialize(json, EngineJson.Default.ChurnAlert)!,
                _ => throw new System.Runtime.Serialization.SerializationException("unknown decision tag " + tag),
            });
        }
        EntityChanges? changes = null;
        if (r.ReadBoolean())
        {
            var flags = r.ReadByte();
            changes = new EntityChanges { RenewTtl = (flags & 1) != 0, Replace = (flags & 2) != 0 };
            for (var n = r.ReadInt32(); n > 0; n--) changes.Set.Add(new(r.ReadString(), r.ReadString()));
            for (var n = r.ReadInt32(); n > 0; n--) changes.Delete.Add(r.ReadString());
        }
        List<string>? coVisited = null;
        for (var n = r.BaseStream.Position < r.BaseStream.Length ? r.ReadInt32() : 0; n > 0; n--) (coVisited ??= []).Add(r.ReadString());
        var position = ReadOptionalPosition(r);
        return new EntityHandled(kind, id, decisions, changes, outcome, dropped, returning, segment, coVisited, position, ListLeftToLater: More(r) && r.ReadBoolean());
    }

    private static void WriteOptional(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null) w.Write(value);
    }

    private static string? ReadOptional(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    /// <summary>Fields follow: written by a node of a later version (an earlier one ends the message before them).</summary>
    private static bool More(BinaryReader r) => r.BaseStream.Position < r.BaseStream.Length;

    private static void WriteOptional(BinaryWriter w, EventPosition? position)
    {
        w.Write(position is not null);
        if (position is not { } p) return;
        w.Write(p.Partition);
        w.Write(p.Offset);
    }

    /// <summary>A position written by <see cref="WriteOptional(BinaryWriter, EventPosition?)"/>; none at the end of a message from a node that wrote none.</summary>
    private static EventPosition? ReadOptionalPosition(BinaryReader r) =>
        r.BaseStream.Position < r.BaseStream.Length && r.ReadBoolean() ? new EventPosition(r.ReadInt32(), r.ReadInt64()) : null;

    private static PrivacyProtocol.UserErased ReadErased(BinaryReader r)
    {
        var (user, request) = (r.ReadString(), r.ReadString());
        var removed = new List<string>();
        for (var n = r.ReadInt32(); n > 0; n--) removed.Add(r.ReadString());
        return new PrivacyProtocol.UserErased(user, request, removed, ReadOptionalPosition(r));
    }

    private static void WriteBytes(BinaryWriter w, byte[] bytes)
    {
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    private static byte[] ReadBytes(BinaryReader r) => r.ReadBytes(r.ReadInt32());
}
