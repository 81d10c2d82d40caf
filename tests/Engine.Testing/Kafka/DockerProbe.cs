using System.Net.Sockets;
using System.Text;

namespace Engine.Testing.Kafka;

/// <summary>Whether a Docker engine answers on the local socket, decided quickly and once per process.</summary>
public static class DockerProbe
{
    private static readonly Lazy<bool> Answer = new(Ping);

    public static bool Answers => Answer.Value;

    private static bool Ping()
    {
        const string socketPath = "/var/run/docker.sock";
        if (!File.Exists(socketPath)) return false;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), timeout.Token).AsTask().GetAwaiter().GetResult();
            socket.Send("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"u8);
            var buffer = new byte[256];
            var read = socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).AsTask().GetAwaiter().GetResult();
            return Encoding.ASCII.GetString(buffer, 0, read).Contains(" 200 ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }
}
