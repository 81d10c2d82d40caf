using System.ComponentModel.DataAnnotations;

namespace Engine.Host.Configuration;

/// <summary>Section <c>Http</c>: where the host serves <c>/metrics</c>, <c>/healthz</c>, <c>/readyz</c> and the live page.</summary>
public sealed class HttpOptions
{
    public const string Section = "Http";

    /// <summary>0 picks a free port (printed at start-up); -1 serves no HTTP at all.</summary>
    [Range(-1, 65535, ErrorMessage = "Http:Port must be a TCP port (0 = any free port, -1 = no HTTP).")]
    public int Port { get; set; } = 8080;

    /// <summary>Address to listen on: 0.0.0.0 in a container, 127.0.0.1 to keep it local.</summary>
    [Required(ErrorMessage = "Http:Host is missing: an address to listen on, e.g. 0.0.0.0 or 127.0.0.1.")]
    public string Host { get; set; } = "0.0.0.0";
}
