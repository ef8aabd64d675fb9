using System;

namespace SpliceModule.Transfer;

/// <summary>A directory being copied: its held descriptors and the pieces still to finish
/// (its own items, its subdirectories, batches of its leaves).</summary>
internal sealed class DirectoryWork : IDisposable
{
    private readonly bool _ownsSource;

    public DirectoryWork(int index, DirectoryWork? parent, DirectoryHandle source, bool ownsSource, DirectoryHandle destination, bool ownsDestination)
    {
        Index = index;
        Parent = parent;
        Source = source;
        _ownsSource = ownsSource;
        Destination = destination;
        OwnsDestination = ownsDestination;
        Depth = parent is null ? 0 : parent.Depth + 1;
    }

    public int Index { get; }

    public DirectoryWork? Parent { get; }

    public DirectoryHandle Source { get; }

    public DirectoryHandle Destination { get; }

    /// <summary>The destination directory is this one's own (not, without -Container, the root's).</summary>
    public bool OwnsDestination { get; }

    public int Depth { get; }

    public int Pending = 1;

    public int Finished;

    public void Dispose()
    {
        if (_ownsSource)
        {
            Source.Dispose();
        }

        if (OwnsDestination)
        {
            Destination.Dispose();
        }
    }
}
