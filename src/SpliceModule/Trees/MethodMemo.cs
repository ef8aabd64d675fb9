using System.Collections.Concurrent;

namespace SpliceModule.Transfer;

/// <summary>
/// Remembers, per pair of source and destination file systems, the method that copied a file
/// with data: the strategies before it refused and will refuse for every other file between
/// the same two too (FICLONE on ext4, copy_file_range across some), and a refusal costs a
/// failed call and an exception per file. Empty files teach nothing (they skip
/// copy_file_range by design).
/// </summary>
internal sealed class MethodMemo
{
    private readonly ConcurrentDictionary<(ulong Source, ulong Destination), CopyMethod> _byDevices = new();

    public CopyMethod StartFor((ulong Source, ulong Destination) devices) =>
        _byDevices.TryGetValue(devices, out var method) ? method : CopyMethod.Auto;

    public void Learn((ulong Source, ulong Destination) devices, FileCopyResult result)
    {
        if (result.Bytes > 0 && !result.Sparse && result.Method != CopyMethod.PlatformCopy)
        {
            _byDevices.TryAdd(devices, result.Method);
        }
    }
}
