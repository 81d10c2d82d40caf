using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Engine.Host.Configuration;

/// <summary>Section <c>Http</c>: where the host serves <c>/metrics</c>, <c>/healthz</c>, <c>/readyz</c> and the live page.</summary>
public sealed class HttpOptions : IValidatableObject
{
    public const string Section = "Http";

    public const int DefaultPort = 8080;

    /// <summary>
    /// Unset: <see cref="DefaultPort"/>, or any free port when it is taken (several nodes on one machine). Set: that port or
    /// a start-up error. 0 picks a free port; -1 serves no HTTP at all. The address in use is printed at start-up.
    /// </summary>
    [Range(-1, 65535, ErrorMessage = "Http:Port must be a TCP port (0 = any free port, -1 = no HTTP).")]
    public int? Port { get; set; }

    /// <summary>
    /// Serve the live page (<c>/</c> and <c>/live/stream</c>): the latest decisions as they are on Kafka, user ids and churn
    /// scores included, to whoever reaches the port, without a login. Unset: on with the embedded servers (development),
    /// off on your own Kafka and Redis, where the port is open for Prometheus (before 2026-12-06 it was always on).
    /// </summary>
    public bool? LivePage { get; set; }

    /// <summary>Address to listen on: 0.0.0.0 in a container, 127.0.0.1 to keep it local.</summary>
    /// <remarks>An IP address (v4 or v6) or <c>localhost</c>: a host name would make Kestrel listen on every interface.</remarks>
    [Required(ErrorMessage = "Http:Host is missing: an address to listen on, e.g. 0.0.0.0 or 127.0.0.1.")]
    public string Host { get; set; } = "0.0.0.0";

    /// <summary><see cref="Host"/> is <c>localhost</c>: 127.0.0.1 and ::1, as Kestrel serves that name.</summary>
    public bool IsLocalhost => string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The address <see cref="Host"/> names (<c>localhost</c>: 127.0.0.1, and ::1 beside it where the port is fixed; <c>*</c>
    /// and <c>+</c>: every interface, IPv4 and IPv6); null when it names none.
    /// </summary>
    public IPAddress? ListenAddress =>
        IsLocalhost ? IPAddress.Loopback
        : Host is "*" or "+" ? IPAddress.IPv6Any
        : IPAddress.TryParse(Host, out var address) ? address : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Kestrel takes any name that is not an address or localhost as "every interface": a host name meant to keep the
        // live page (user ids, churn scores) on one interface would have served it on all of them.
        if (!string.IsNullOrEmpty(Host) && ListenAddress is null)
            yield return new ValidationResult(
                "Http:Host must be an IP address (e.g. 0.0.0.0, 127.0.0.1, ::), localhost, or * for every interface, not a host name: Kestrel would listen on every interface.",
                [nameof(Host)]);
    }
}
