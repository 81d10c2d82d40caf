using System.Text;
using Engine.Models.Features.State;

namespace Engine.Models.Tests.Features;

public sealed class ValueArenaTests
{
    [Fact]
    public void Values_that_outgrow_their_chunk_move_whole_and_earlier_values_stay_intact()
    {
        var arena = new ValueArena(firstChunk: 8);
        var values = new List<ReadOnlyMemory<byte>>();
        var expected = new List<string>();
        for (var i = 0; i < 3000; i++)
        {
            var text = $"session-{i}\titem-{i % 7}";
            arena.Append(text);
            arena.Append(',');
            arena.Append(i * 1_000_003L);
            arena.Append(',');
            arena.Append(i + 0.25);
            values.Add(arena.End());
            expected.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{text},{i * 1_000_003L},{i + 0.25}"));
        }
        Assert.Equal(expected, values.Select(v => Encoding.UTF8.GetString(v.Span)));
    }

    [Fact]
    public void After_a_reset_values_are_written_again_from_the_start()
    {
        var arena = new ValueArena(firstChunk: 16);
        for (var i = 0; i < 100; i++) arena.Append("0123456789");
        arena.End();
        arena.Reset();
        arena.Append(42L);
        Assert.Equal("42", Encoding.UTF8.GetString(arena.End().Span));
        arena.Append(1.5);
        arena.Append('\t');
        arena.Append(3.0);
        Assert.Equal("1.5\t3", Encoding.UTF8.GetString(arena.End().Span));
    }
}
