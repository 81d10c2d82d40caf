using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Engine.Testing.Redis;

/// <summary>
/// A throwaway certificate authority and a server certificate it signed for 127.0.0.1 (made with the openssl CLI), and
/// client options that trust only that authority: TLS to a test's own redis-server without touching the system's trust.
/// </summary>
public sealed class TestTls : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("engine-tls-").FullName;

    private TestTls() { }

    public string Authority => Path.Combine(_directory, "ca.crt");
    public string ServerCertificate => Path.Combine(_directory, "redis.crt");
    public string ServerKey => Path.Combine(_directory, "redis.key");

    public static TestTls Create()
    {
        var tls = new TestTls();
        File.WriteAllText(Path.Combine(tls._directory, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
        tls.OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=engine-test-ca");
        tls.OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "redis.key", "-out", "redis.csr", "-subj", "/CN=127.0.0.1");
        tls.OpenSsl("x509", "-req", "-in", "redis.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "redis.crt", "-days", "1",
            "-extfile", "san.ext");
        return tls;
    }

    /// <summary>Client options for <paramref name="host"/> that accept a server certificate only if it chains to this authority.</summary>
    public SslClientAuthenticationOptions TrustingOnlyThisAuthority(string host)
    {
        var authority = X509CertificateLoader.LoadCertificateFromFile(Authority);
        return new SslClientAuthenticationOptions
        {
            TargetHost = host,
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            },
        };
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private void OpenSsl(params string[] arguments)
    {
        var info = new ProcessStartInfo("openssl") { WorkingDirectory = _directory, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("openssl did not start");
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"openssl {string.Join(' ', arguments)} failed: {error.Result}");
    }
}
