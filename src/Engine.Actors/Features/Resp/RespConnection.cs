using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using StackExchange.Redis;

namespace Engine.Actors.Features.Resp;

/// <summary>
/// One plain connection to Redis (Garnet or redis-server), opened with the node's StackExchange.Redis configuration:
/// the given endpoint (else its first), TLS (its trust options when it carries them as code, else the system's trust), ACL user and
/// password, database. Used by one caller at a time, which writes its commands
/// and reads their replies in order; nothing is multiplexed over it, so a WATCH on it is that caller's.
/// </summary>
internal sealed class RespConnection : IAsyncDisposable
{
    private readonly Stream _stream;

    private RespConnection(Stream stream) => (_stream, Reader) = (stream, new RespReader(stream));

    public RespReader Reader { get; }

    public static async Task<RespConnection> OpenAsync(ConfigurationOptions options, EndPoint? endpoint, CancellationToken cancellationToken)
    {
        endpoint ??= options.EndPoints.Count > 0 ? options.EndPoints[0] : throw new ArgumentException("the Redis configuration names no endpoint", nameof(options));
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (options.Ssl)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(Tls(options, options.SslHost ?? Host(endpoint)), cancellationToken).ConfigureAwait(false);
            }
            var connection = new RespConnection(stream);
            await connection.HelloAsync(options, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw;
        }
    }

    public ValueTask SendAsync(RespWriter commands, CancellationToken cancellationToken) => _stream.WriteAsync(commands.Written, cancellationToken);

    public ValueTask DisposeAsync() => _stream.DisposeAsync();

    /// <summary>AUTH and SELECT, as configured.</summary>
    private async Task HelloAsync(ConfigurationOptions options, CancellationToken cancellationToken)
    {
        var commands = new RespWriter();
        if (options.Password is { Length: > 0 } password)
        {
            if (options.User is { Length: > 0 } user) commands.Command(3).Bulk("AUTH").Bulk(user).Bulk(password);
            else commands.Command(2).Bulk("AUTH").Bulk(password);
        }
        if (options.DefaultDatabase is { } database and not 0) commands.Command(2).Bulk("SELECT").Bulk(database);
        if (commands.Commands == 0) return;
        await SendAsync(commands, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < commands.Commands; i++) await Reader.StatusAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The configuration's own TLS options when it has them (e.g. a trusted issuer), else the system's trust with its protocols and revocation check.</summary>
    private static SslClientAuthenticationOptions Tls(ConfigurationOptions options, string host)
    {
        var tls = options.SslClientAuthenticationOptions?.Invoke(host) ?? new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = options.SslProtocols ?? SslProtocols.None,
            CertificateRevocationCheckMode = options.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck,
        };
        tls.TargetHost ??= host;
        return tls;
    }

    private static string Host(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => dns.Host,
        IPEndPoint ip => ip.Address.ToString(),
        _ => endpoint.ToString() ?? "",
    };
}
