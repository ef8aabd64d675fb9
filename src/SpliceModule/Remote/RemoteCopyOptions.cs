using System.Text.Json;
using System.Text.Json.Serialization;

namespace SpliceModule.Transfer;

/// <summary>
/// What one end of a remote copy tells the other over the PSSession: the transport, the one-time
/// secret a data connection must present and the key of its records (both fresh for this file,
/// hexadecimal), where the sender connects (FromSession: the listener on the copying host), and
/// the copy's own options.
/// </summary>
internal sealed record RemoteCopyOptions
{
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public RemoteTransport Transport { get; init; } = RemoteTransport.Encrypted;

    public string Secret { get; init; } = string.Empty;

    public string Key { get; init; } = string.Empty;

    public string? EndPoint { get; init; }

    /// <summary>Data connections one large file may be striped across at most (Plain and
    /// Encrypted; <see cref="DataPath.StripesFor"/> gives how many it is).</summary>
    public int Stripes { get; init; } = 1;

    public bool Force { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter))]
    public CopyPreserve Preserve { get; init; } = CopyPreserve.Mode | CopyPreserve.Timestamps;

    /// <summary>What a regular file that is replaced keeps of its own (owner, mode and ACL, security
    /// attributes): what -Preserve did not ask to take from the source, as a local copy keeps it.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public CopyPreserve KeepReplaced { get; init; }

    public bool Verify { get; init; }

    public bool Sync { get; init; }

    /// <summary>A tree's sending side follows the symbolic links inside it (-FollowSymlink).</summary>
    public bool FollowSymlinks { get; init; }

    /// <summary>A tree's sending side takes only files whose names match (-Filter).</summary>
    public string? Filter { get; init; }

    /// <summary>A tree's sending side leaves out files and directories whose names match (-Exclude).</summary>
    public string[]? Exclude { get; init; }

    /// <summary>A tree's receiving side lists what it made (-PassThru).</summary>
    public bool ListItems { get; init; }

    public static RemoteCopyOptions Fresh(RemoteTransport transport) => new()
    {
        Transport = transport,
        Secret = ChannelSecret.NewText(),
        Key = ChannelSecret.NewText(),
    };

    public string ToJson() => JsonSerializer.Serialize(this);

    public static RemoteCopyOptions FromJson(string json) =>
        JsonSerializer.Deserialize<RemoteCopyOptions>(json) ?? throw new System.ArgumentException("Empty remote copy options.");

    public FileCopyRequest RequestFor(string source, string destination, System.Threading.CancellationToken cancellation, System.Action<long>? progress = null) =>
        new(source, destination) { Force = Force, Preserve = Preserve, KeepReplaced = KeepReplaced, Verify = Verify, Sync = Sync, Cancellation = cancellation, Progress = progress };
}
