using System.Buffers.Text;
using System.Text;
using StackExchange.Redis;

namespace Engine.Actors.Features.Resp;

/// <summary>
/// Reads the RESP2 replies a flush expects from one connection's stream, through one reused buffer: status replies,
/// an array of integers in bulk strings (MGET of offsets) and EXEC's reply, whose per-command replies are skipped
/// without an object each (only the first error among them is kept). An error reply where a status was expected
/// throws <see cref="RedisServerException"/>; a closed or garbled stream throws <see cref="RedisConnectionException"/>.
/// </summary>
internal sealed class RespReader(Stream stream)
{
    private byte[] _buffer = new byte[16 * 1024];
    private int _start, _end;

    /// <summary>A status reply (<c>+OK</c>, <c>+QUEUED</c>).</summary>
    public async ValueTask StatusAsync(CancellationToken cancellationToken)
    {
        var (kind, start, length) = await LineAsync(cancellationToken).ConfigureAwait(false);
        if (kind != '+') throw Unexpected(kind, start, length, "a status");
    }

    /// <summary>An integer reply (<c>:3</c>: WAIT, PEXPIRE).</summary>
    public async ValueTask<long> IntegerAsync(CancellationToken cancellationToken)
    {
        var (kind, start, length) = await LineAsync(cancellationToken).ConfigureAwait(false);
        if (kind != ':') throw Unexpected(kind, start, length, "an integer");
        return Integer(start, length);
    }

    /// <summary>An array of <paramref name="count"/> integers sent as bulk strings, null where the key is missing (MGET).</summary>
    public async ValueTask<long?[]> IntegersAsync(int count, CancellationToken cancellationToken)
    {
        var (kind, start, length) = await LineAsync(cancellationToken).ConfigureAwait(false);
        if (kind != '*' || Integer(start, length) != count) throw Unexpected(kind, start, length, $"an array of {count}");
        var values = new long?[count];
        for (var i = 0; i < count; i++)
        {
            (kind, start, length) = await LineAsync(cancellationToken).ConfigureAwait(false);
            if (kind != '$') throw Unexpected(kind, start, length, "a bulk string");
            var bytes = Integer(start, length);
            if (bytes < 0) continue;
            await EnsureAsync((int)bytes + 2, cancellationToken).ConfigureAwait(false);
            values[i] = Integer(_start, (int)bytes);
            _start += (int)bytes + 2;
        }
        return values;
    }

    /// <summary>EXEC's reply: not committed when a watched key changed (a null array); else the first error among its commands' replies, if any.</summary>
    public async ValueTask<(bool Committed, string? Error)> ExecAsync(CancellationToken cancellationToken)
    {
        var (kind, start, length) = await LineAsync(cancellationToken).ConfigureAwait(false);
        if (kind != '*') throw Unexpected(kind, start, length, "EXEC's array");
        var count = Integer(start, length);
        if (count < 0) return (false, null);
        string? error = null;
        for (var i = 0; i < count; i++) error ??= await SkipAsync(cancellationToken).ConfigureAwait(false);
        return (true, error);
    }

    /// <summary>Passes over one reply of any kind; returns its text if it was an error.</summary>
    private async ValueTask<string?> SkipAsync(CancellationToken cancellationToken)
    {
        var (kind, start, length) = await LineAsync(cancellationToken).ConfigureAwait(false);
        switch (kind)
        {
            case (byte)'+' or (byte)':':
                return null;
            case (byte)'-':
                return Encoding.UTF8.GetString(_buffer, start, length);
            case (byte)'$':
                var bytes = Integer(start, length);
                if (bytes < 0) return null;
                await EnsureAsync((int)bytes + 2, cancellationToken).ConfigureAwait(false);
                _start += (int)bytes + 2;
                return null;
            case (byte)'*':
                string? error = null;
                for (var i = Integer(start, length); i > 0; i--) error ??= await SkipAsync(cancellationToken).ConfigureAwait(false);
                return error;
            default:
                throw Unexpected(kind, start, length, "a reply");
        }
    }

    /// <summary>The next line: its type byte and where its text lies in the buffer (valid until the next read).</summary>
    private async ValueTask<(byte Kind, int Start, int Length)> LineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 2)
            {
                var line = (_buffer[_start], _start + 1, newline - 2);
                _start += newline + 1;
                return line;
            }
            if (newline >= 0) throw RespErrors.Connection(ConnectionFailureType.ProtocolFailure, "Redis sent an empty reply line");
            await FillAsync(_end - _start + 1, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask EnsureAsync(int bytes, CancellationToken cancellationToken)
    {
        while (_end - _start < bytes) await FillAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads more from the stream, with room for at least <paramref name="needed"/> unread bytes.</summary>
    private async ValueTask FillAsync(int needed, CancellationToken cancellationToken)
    {
        var unread = _end - _start;
        if (_buffer.Length - _start < needed || _end == _buffer.Length)
        {
            var target = needed > _buffer.Length ? new byte[Math.Max(_buffer.Length * 2, needed)] : _buffer;
            Buffer.BlockCopy(_buffer, _start, target, 0, unread);
            (_buffer, _start, _end) = (target, 0, unread);
        }
        var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0) throw RespErrors.Connection(ConnectionFailureType.SocketClosed, "Redis closed the flush connection");
        _end += read;
    }

    private long Integer(int start, int length) =>
        Utf8Parser.TryParse(_buffer.AsSpan(start, length), out long value, out var consumed) && consumed == length
            ? value
            : throw RespErrors.Connection(ConnectionFailureType.ProtocolFailure, $"Redis sent '{Encoding.UTF8.GetString(_buffer, start, length)}' where a number was expected");

    private RedisException Unexpected(byte kind, int start, int length, string expected)
    {
        var text = Encoding.UTF8.GetString(_buffer, start, length);
        return kind == '-'
            ? RespErrors.Server(text)
            : RespErrors.Connection(ConnectionFailureType.ProtocolFailure, $"Redis sent '{(char)kind}{text}' where {expected} was expected");
    }
}
