using System.Globalization;
using System.Text;

namespace Engine.Models.Features.State;

/// <summary>
/// UTF-8 bytes of drained hash field values, appended into a few shared chunks instead of one string per value: a
/// drain formats numbers straight into the bytes Redis receives. A value is what was appended since the last
/// <see cref="End"/>. Reusable after <see cref="Reset"/> once nothing reads its values any more (the write-behind
/// recycles a batch's arena when Redis acknowledged the batch at the first attempt). Not thread-safe.
/// </summary>
public sealed class ValueArena
{
    private const int ChunkSize = 16 * 1024;
    // Every chunk this arena filled, kept for reuse after a reset; _chunk is _chunks[_current].
    private readonly List<byte[]> _chunks;
    private int _current;
    private byte[] _chunk;
    private int _start;
    private int _used;

    public ValueArena(int firstChunk = 256)
    {
        _chunk = new byte[firstChunk];
        _chunks = [_chunk];
    }

    public void Append(char c)
    {
        if (c < 0x80)
        {
            Ensure(1)[0] = (byte)c;
            _used++;
            return;
        }
        Span<char> one = [c];
        Append(one);
    }

    public void Append(ReadOnlySpan<char> text)
    {
        // Ensure may move the pending value (and _used) to a new chunk: call it before reading _used.
        var written = Encoding.UTF8.GetBytes(text, Ensure(Encoding.UTF8.GetMaxByteCount(text.Length)));
        _used += written;
    }

    public void Append(long value)
    {
        if (!value.TryFormat(Ensure(20), out var written, default, CultureInfo.InvariantCulture)) throw new FormatException($"{value} does not fit");
        _used += written;
    }

    /// <summary>Whole numbers without a decimal point, others as the shortest round-trip text.</summary>
    public void Append(double value)
    {
        if (value == Math.Floor(value) && Math.Abs(value) < 1e15)
        {
            Append((long)value);
            return;
        }
        if (!value.TryFormat(Ensure(32), out var written, "R", CultureInfo.InvariantCulture)) throw new FormatException($"{value} does not fit");
        _used += written;
    }

    /// <summary>The value appended since the previous end.</summary>
    public ReadOnlyMemory<byte> End()
    {
        var value = new ReadOnlyMemory<byte>(_chunk, _start, _used - _start);
        _start = _used;
        return value;
    }

    /// <summary>The bytes this arena holds on to across resets (every chunk it has filled).</summary>
    public long Capacity
    {
        get
        {
            long bytes = 0;
            foreach (var chunk in _chunks) bytes += chunk.Length;
            return bytes;
        }
    }

    /// <summary>Starts over in the same chunks: every value handed out before is invalid from now on.</summary>
    public void Reset()
    {
        _current = 0;
        _chunk = _chunks[0];
        _start = _used = 0;
    }

    /// <summary>Room for <paramref name="bytes"/> more; a value that outgrows its chunk moves, whole, to a new one.</summary>
    private Span<byte> Ensure(int bytes)
    {
        if (_chunk.Length - _used >= bytes) return _chunk.AsSpan(_used);
        var pending = _used - _start;
        var need = pending + bytes;
        // Doubling up to a chunk size: a single entity's drain (an actor's) stays small, a batch's fills 16 KiB chunks.
        var size = Math.Max(Math.Min(ChunkSize, 2 * _chunk.Length), 2 * need);
        _current++;
        if (_current == _chunks.Count) _chunks.Add(new byte[size]);
        else if (_chunks[_current].Length < need) _chunks[_current] = new byte[size];
        var next = _chunks[_current];
        _chunk.AsSpan(_start, pending).CopyTo(next);
        _chunk = next;
        _start = 0;
        _used = pending;
        return _chunk.AsSpan(_used);
    }
}
