using System.Text;
using Engine.Actors.Features.Resp;
using StackExchange.Redis;

namespace Engine.Actors.Tests.Features;

/// <summary>The flush client's RESP writing and reading, over streams that hand bytes over a few at a time.</summary>
public class RespProtocolTests
{
    [Fact]
    public void Commands_are_arrays_of_bulk_strings()
    {
        var commands = new RespWriter();
        commands.Command(4).Bulk("HSET"u8).Bulk("k:é").Bulk("f"u8).Bulk(-42);
        commands.Command(1).Bulk("EXEC"u8);

        Assert.Equal("*4\r\n$4\r\nHSET\r\n$4\r\nk:é\r\n$1\r\nf\r\n$3\r\n-42\r\n*1\r\n$4\r\nEXEC\r\n", Encoding.UTF8.GetString(commands.Written.Span));
        Assert.Equal(2, commands.Commands);
        commands.Clear();
        Assert.Equal(0, commands.Written.Length);
    }

    [Fact]
    public void A_command_larger_than_the_buffer_grows_it()
    {
        var commands = new RespWriter();
        var value = new byte[200_000];
        Random.Shared.NextBytes(value);
        commands.Command(2).Bulk("SET"u8).Bulk(value);

        Assert.True(commands.Written.Span[^(value.Length + 2)..^2].SequenceEqual(value));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4096)]
    public async Task Replies_split_anywhere_are_read_whole(int chunk)
    {
        var wideValue = new string('7', 1) + new string('0', 17); // 7e17, a long
        var replies = "+OK\r\n" +
                      $"*3\r\n$2\r\n12\r\n$-1\r\n${wideValue.Length}\r\n{wideValue}\r\n" +
                      "+QUEUED\r\n" +
                      "*4\r\n:1\r\n$3\r\nabc\r\n*2\r\n:0\r\n-WRONGTYPE not a hash\r\n-ERR second\r\n";
        var reader = new RespReader(new TrickleStream(Encoding.UTF8.GetBytes(replies), chunk));

        await reader.StatusAsync(default);
        Assert.Equal([12L, null, 700_000_000_000_000_000L], await reader.IntegersAsync(3, default));
        await reader.StatusAsync(default);
        var (committed, error) = await reader.ExecAsync(default);

        Assert.True(committed);
        Assert.Equal("WRONGTYPE not a hash", error);
    }

    [Fact]
    public async Task A_null_exec_is_not_committed_and_a_long_reply_grows_the_buffer()
    {
        var big = new string('x', 100_000);
        var replies = $"*-1\r\n*2\r\n${big.Length}\r\n{big}\r\n:5\r\n";
        var reader = new RespReader(new TrickleStream(Encoding.UTF8.GetBytes(replies), 1000));

        Assert.Equal((false, (string?)null), await reader.ExecAsync(default));
        Assert.Equal((true, (string?)null), await reader.ExecAsync(default));
    }

    [Fact]
    public async Task An_error_where_a_status_was_expected_throws_the_servers_text()
    {
        var reader = new RespReader(new TrickleStream("-LOADING Redis is loading the dataset in memory\r\n"u8.ToArray(), 5));

        var error = await Assert.ThrowsAsync<RedisServerException>(() => reader.StatusAsync(default).AsTask());

        Assert.StartsWith("LOADING", error.Message);
    }

    [Fact]
    public async Task A_transaction_discarded_at_exec_for_a_passing_refusal_is_retried_as_that_refusal()
    {
        // Memory crossed maxmemory between the commands' QUEUED and EXEC: Redis discards the transaction at EXEC, naming the
        // refusal. Before 2026-12-06 that failed the stream, where the same OOM at queue time was retried.
        var reader = new RespReader(new TrickleStream(
            "-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.\r\n"u8.ToArray(), 7));

        var error = await Assert.ThrowsAsync<RedisServerException>(() => reader.ExecAsync(default).AsTask());

        Assert.True(Engine.Actors.Features.FeatureStore.IsTransient(error), error.Message);
        Assert.False(Engine.Actors.Features.FeatureStore.IsTransient(Engine.Actors.Features.Resp.RespErrors.Server(
            "EXECABORT Transaction discarded because of previous errors.")));
    }

    [Fact]
    public async Task A_stream_that_ends_mid_reply_is_a_connection_failure()
    {
        var reader = new RespReader(new TrickleStream("*2\r\n$2\r\n1"u8.ToArray(), 2));

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => reader.IntegersAsync(2, default).AsTask());

        Assert.Equal(ConnectionFailureType.SocketClosed, error.FailureType);
    }

    [Fact]
    public async Task A_garbled_reply_is_a_protocol_failure()
    {
        var reader = new RespReader(new TrickleStream("*1\r\n$2\r\nab\r\n"u8.ToArray(), 64));

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => reader.IntegersAsync(1, default).AsTask());

        Assert.Equal(ConnectionFailureType.ProtocolFailure, error.FailureType);
    }

    /// <summary>A read-only stream that returns at most <c>chunk</c> bytes per read, as a socket may.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : Stream
    {
        private int _position;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var count = Math.Min(Math.Min(chunk, buffer.Length), data.Length - _position);
            data.AsSpan(_position, count).CopyTo(buffer.Span);
            _position += count;
            return ValueTask.FromResult(count);
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().Result;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
