using System;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>Turns what the tree copier reports into errors, -PassThru output and progress.</summary>
internal sealed class TreeReporter : ITreeCopyObserver
{
    private readonly CopySpliceItemCommand _cmdlet;
    private readonly ProgressReporter _progress;
    private readonly long _bytesBefore;
    private readonly int _itemsBefore;
    private readonly string _root;
    private readonly int _leaves;

    public TreeReporter(CopySpliceItemCommand cmdlet, ProgressReporter progress, string root, int leaves, long totalBytes)
    {
        _cmdlet = cmdlet;
        _progress = progress;
        _bytesBefore = progress.CompletedBytes;
        _itemsBefore = progress.CompletedItems;
        _root = root;
        _leaves = leaves;
        progress.TotalBytes = progress.CompletedBytes + totalBytes;
        progress.TotalItems = progress.CompletedItems + leaves;
    }

    public long Bytes { get; private set; }

    public int Items { get; private set; }

    public bool NeedsItemsInPlace => _cmdlet.PassThru;

    public void ItemCopied(string sourcePath, string destinationPath, FileCopyResult? file, MetadataReport metadata)
    {
        Items++;
        if (file is not null)
        {
            Bytes += file.Bytes;
            _cmdlet.WarnAbout(file);
        }

        _cmdlet.TellAbout(destinationPath, metadata);

        if (_cmdlet.PassThru)
        {
            _cmdlet.WriteCopiedItem(destinationPath, file);
        }
    }

    public void MetadataNotice(string destinationPath, MetadataReport metadata) => _cmdlet.TellAbout(destinationPath, metadata);

    public void ItemFailed(string sourcePath, string destinationPath, Exception error) => _cmdlet.WriteFailure(error, sourcePath);

    public void Tally(bool isLeaf, FileCopyResult? file) => _cmdlet.Tally.Count(isLeaf, file);

    public void Untouched(long items, long bytes) => _cmdlet.Tally.CountUnchanged(items, bytes);

    public void ItemRemoved(string destinationPath, int items) => _cmdlet.ReportRemoved(destinationPath, items);

    public void Notice(string message) => _cmdlet.WriteWarning(message);

    public void Progress(long bytesDone, int itemsDone, string? currentItem)
    {
        _progress.CompletedItems = _itemsBefore + itemsDone;
        _progress.Report(currentItem ?? _root, bytesDone);
    }

    public void Finish()
    {
        _progress.CompletedBytes = _bytesBefore + Bytes;
        _progress.CompletedItems = _itemsBefore + _leaves;
    }
}
