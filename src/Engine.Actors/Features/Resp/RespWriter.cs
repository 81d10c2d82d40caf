using System.Buffers.Text;
using System.Text;

namespace Engine.Actors.Features.Resp;

/// <summary>
/// Redis commands (RESP2 arrays of bulk strings) written into one reused buffer, so a flush of thousands of commands
/// goes out in one write with no object per command or argument: keys and fields are encoded straight from their
/// strings, values copied from the drained UTF-8 bytes.
/// </summary>
internal sealed class RespWriter
{
    private byte[] _buffer = new byte[64 * 1024];
    private int _length;

    /// <summary>Commands written since <see cref="Clear"/>: one reply each to read.</summary>
    public int Commands { get; private set; }

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    public void Clear() => (_length, Commands) = (0, 0);

    /// <summary>Starts a command of <paramref name="arguments"/> bulk strings (its name included).</summary>
    public RespWriter Command(int arguments)
    {
        Commands++;
        Header((byte)'*', arguments);
        return this;
    }

    public RespWriter Bulk(ReadOnlySpan<byte> value)
    {
        Header((byte)'$', value.Length);
        Ensure(value.Length + 2);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
        return EndLine();
    }

    public RespWriter Bulk(string value)
    {
        var bytes = Encoding.UTF8.GetByteCount(value);
        Header((byte)'$', bytes);
        Ensure(bytes + 2);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
        return EndLine();
    }

    public RespWriter Bulk(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var written);
        return Bulk(digits[..written]);
    }

    private void Header(byte kind, int count)
    {
        Ensure(1 + 11 + 2);
        _buffer[_length++] = kind;
        Utf8Formatter.TryFormat(count, _buffer.AsSpan(_length), out var written);
        _length += written;
        EndLine();
    }

    private RespWriter EndLine()
    {
        _buffer[_length++] = (byte)'\r';
        _buffer[_length++] = (byte)'\n';
        return this;
    }

    private void Ensure(int more)
    {
        if (_length + more > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
    }
}
